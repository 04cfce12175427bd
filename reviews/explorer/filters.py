"""The explorer's filters: parsed from the URL (pages and API alike), so every view can be cited by its link.

Parameters (all optional, repeatable where noted):

  study=<id>                 interviews of one study
  interviewer=<id>           repeatable; interviews by these interviewers
  cond.<factor>=<level>      repeatable per factor; interviews at these levels (factors combine with AND)
  topic=<text>               interviews tagged with this topic
  raters=all|human|judge     whose reviews make the consensus (default all)
  judge=<id>[:<version>]     one model judge's scores with one prompt version (default: its newest;
                             versions are never pooled), its replicates pooled per interview
  reviewer=<id>              one human reviewer's scores only
  from=YYYY-MM-DD, to=...    interviews conducted in this date range (inclusive)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlencode

from django.http import QueryDict

from reviews.explorer.models import Scope
from commons.params import parse_id

FACTOR_PATTERN = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9 _.-]{0,79}\Z")
MAX_TEXT = 80

# Collects a message against the parameter it is about.
ErrorSink = Callable[[str, str], None]


@dataclass(frozen=True)
class Filters:
    study: int | None = None
    interviewers: tuple[int, ...] = ()
    conditions: tuple[tuple[str, tuple[str, ...]], ...] = ()
    topic: str = ""
    raters: str = Scope.ALL
    judge: int | None = None
    prompt_version: str = ""  # the judge's prompt version (resolved to its newest when not named)
    reviewer: int | None = None
    date_from: date | None = None
    date_to: date | None = None

    @property
    def narrows_interviews(self) -> bool:
        return bool(self.study or self.interviewers or self.conditions or self.topic or self.date_from
                    or self.date_to)

    @property
    def single_rater(self) -> tuple[str, int] | None:
        if self.judge is not None:
            return "judge", self.judge
        if self.reviewer is not None:
            return "human", self.reviewer
        return None

    def is_judge_slice(self, slice_value: str) -> bool:
        """Whether an agreement slice value (``<judge id>:<prompt version>``) is the chosen judge's."""
        if self.judge is None:
            return False
        if self.prompt_version:
            return slice_value == f"{self.judge}:{self.prompt_version}"
        return slice_value.startswith(f"{self.judge}:")

    @property
    def is_unfiltered(self) -> bool:
        """Served from the materialized snapshot (one per reviewer kind)."""
        return not self.narrows_interviews and self.single_rater is None

    def params(self) -> list[tuple[str, str]]:
        pairs: list[tuple[str, str]] = []
        if self.study:
            pairs.append(("study", str(self.study)))
        pairs += [("interviewer", str(i)) for i in self.interviewers]
        for factor, levels in self.conditions:
            pairs += [(f"cond.{factor}", level) for level in levels]
        if self.topic:
            pairs.append(("topic", self.topic))
        if self.raters != Scope.ALL:
            pairs.append(("raters", self.raters))
        if self.judge is not None:
            pairs.append(("judge", f"{self.judge}:{self.prompt_version}" if self.prompt_version else str(self.judge)))
        if self.reviewer is not None:
            pairs.append(("reviewer", str(self.reviewer)))
        if self.date_from:
            pairs.append(("from", self.date_from.isoformat()))
        if self.date_to:
            pairs.append(("to", self.date_to.isoformat()))
        return pairs

    def query(self, **extra: str | int | None) -> str:
        pairs = self.params() + [(k, str(v)) for k, v in extra.items() if v not in (None, "")]
        return urlencode(pairs)

    def cache_key(self) -> str:
        return self.query()

    def as_dict(self) -> dict:
        return {
            "study": self.study, "interviewer": list(self.interviewers),
            "conditions": {factor: list(levels) for factor, levels in self.conditions},
            "topic": self.topic or None, "raters": self.raters, "judge": self.judge,
            "prompt_version": self.prompt_version or None, "reviewer": self.reviewer,
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
        }


@dataclass
class ParsedFilters:
    filters: Filters
    errors: dict[str, list[str]] = field(default_factory=dict)


def _date(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        return None


def _known(study: int | None, interviewers: list[int], judge: int | None, error: ErrorSink
           ) -> tuple[int | None, list[int], int | None]:
    """Ids that name nothing are an error, not an empty view that looks like a finding. (Reviewer ids
    are not checked: saying which ids are reviewers would list people.)"""
    from commons.selectors import visible_interviewers, visible_studies
    from reviews.models import Judge

    # the explorer shows public data only: an id only a private upload uses is as unknown as a wrong one
    if study is not None and not visible_studies(None).filter(pk=study).exists():
        error("study", f"There is no study {study}.")
        study = None
    if interviewers:
        found = set(visible_interviewers(None).filter(pk__in=interviewers).values_list("pk", flat=True))
        for missing in sorted(set(interviewers) - found):
            error("interviewer", f"There is no interviewer {missing}.")
        interviewers = [i for i in interviewers if i in found]
    if judge is not None and not Judge.objects.filter(pk=judge).exists():
        error("judge", f"There is no judge {judge}.")
        judge = None
    return study, interviewers, judge


def _optional_id(query: QueryDict, name: str, message: str, error: ErrorSink) -> int | None:
    if not query.get(name, "").strip():
        return None
    value = parse_id(query[name])
    if value is None:
        error(name, message)
    return value


def _judge_version(judge: int | None, version: str, error) -> str:
    """The judge's prompt version: the one named (it must exist), else its newest."""
    from reviews.models import Review
    from reviews.prompt_versions import newest

    if judge is None:
        return ""
    known = set(Review.objects.filter(judge_id=judge, kind=Review.Kind.JUDGE, status=Review.Status.SUBMITTED)
                .values_list("prompt_version", flat=True).distinct().order_by())
    if version and version not in known:
        error("judge", f"Judge {judge} has no prompt version “{version[:MAX_TEXT]}”.")
        version = ""
    return version or newest(known) or ""


def _interviewers(query: QueryDict, error: ErrorSink) -> list[int]:
    interviewers: list[int] = []
    for raw in query.getlist("interviewer"):
        if not raw.strip():
            continue
        value = parse_id(raw)
        if value is None:
            error("interviewer", f"“{raw[:MAX_TEXT]}” is not an interviewer number.")
        elif value not in interviewers:
            interviewers.append(value)
    return interviewers


def _conditions(query: QueryDict, error: ErrorSink) -> dict[str, list[str]]:
    conditions: dict[str, list[str]] = {}
    for key in sorted(query.keys()):
        if not key.startswith("cond."):
            continue
        factor = key.removeprefix("cond.")
        if not FACTOR_PATTERN.match(factor) or "__" in factor:
            error(key, "Unknown factor name.")
            continue
        for level in query.getlist(key):
            level = level.strip()
            if not level:
                continue
            if len(level) > MAX_TEXT:
                error(key, "That level name is too long.")
                continue
            if level not in conditions.setdefault(factor, []):
                conditions[factor].append(level)
    return conditions


def _judge(query: QueryDict, error: ErrorSink) -> tuple[int | None, str]:
    """`judge=<id>[:<prompt version>]`: a judge is a rater only together with its prompt version."""
    if not query.get("judge", "").strip():
        return None, ""
    raw_judge, _, version = query.get("judge", "").strip().partition(":")
    judge = parse_id(raw_judge)
    if judge is None:
        error("judge", "Choose a judge by its number (and a prompt version: judge=<id>:<version>).")
    if len(version) > MAX_TEXT:
        error("judge", "That prompt version is too long.")
        version = ""
    return judge, version


def _raters(query: QueryDict, error: ErrorSink) -> tuple[str, int | None, str, int | None]:
    """Reviewer kind, and one judge or one reviewer compatible with it."""
    raters = query.get("raters", "").strip() or Scope.ALL
    if raters not in Scope.values:
        error("raters", "Reviewer kind is one of: all, human, judge.")
        raters = Scope.ALL
    judge, version = _judge(query, error)
    reviewer = _optional_id(query, "reviewer", "Choose a reviewer by their number.", error)
    if judge is not None and reviewer is not None:
        error("reviewer", "Choose one judge or one reviewer, not both.")
        reviewer = None
    if judge is not None and raters == Scope.HUMAN:
        error("judge", "A judge's scores are not among human reviews; set reviewer kind to judge or all.")
        judge = None
    if reviewer is not None and raters == Scope.JUDGE:
        error("reviewer", "A reviewer's scores are not among judge reviews; set reviewer kind to human or all.")
        reviewer = None
    return raters, judge, version, reviewer


def _dates(query: QueryDict, error: ErrorSink) -> tuple[date | None, date | None]:
    date_from = date_to = None
    if query.get("from", "").strip():
        date_from = _date(query.get("from", ""))
        if date_from is None:
            error("from", "Use a date like 2025-01-31.")
    if query.get("to", "").strip():
        date_to = _date(query.get("to", ""))
        if date_to is None:
            error("to", "Use a date like 2025-01-31.")
    if date_from and date_to and date_from > date_to:
        error("to", "The end date is before the start date.")
        date_to = None
    return date_from, date_to


def parse_filters(query: QueryDict) -> ParsedFilters:
    """Filters from a query string; bad values are reported per parameter (and left out), never raised."""
    errors: dict[str, list[str]] = {}

    def error(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    study = _optional_id(query, "study", "Choose a study by its number.", error)
    interviewers = _interviewers(query, error)
    conditions = _conditions(query, error)
    topic = query.get("topic", "").strip()
    if len(topic) > MAX_TEXT:
        error("topic", f"A topic has at most {MAX_TEXT} characters.")
        topic = ""
    raters, judge, version, reviewer = _raters(query, error)
    date_from, date_to = _dates(query, error)
    study, interviewers, judge = _known(study, interviewers, judge, error)
    prompt_version = _judge_version(judge, version, error)
    filters = Filters(
        study=study, interviewers=tuple(sorted(interviewers)),
        conditions=tuple((factor, tuple(sorted(levels))) for factor, levels in sorted(conditions.items()) if levels),
        topic=topic, raters=raters, judge=judge, prompt_version=prompt_version, reviewer=reviewer,
        date_from=date_from, date_to=date_to)
    return ParsedFilters(filters, errors)
