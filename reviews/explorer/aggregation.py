"""From reviews to the explorer's numbers. Reads only; shared by pages, API and the refresh job.

Definitions (also shown on the pages, see templates/explorer/_method.html):

1. A *rater* is a human reviewer, or a model judge with one prompt version. A rater's value for an
   interview and a metric version is their score in the current (latest submitted) revision of
   their review; for a judge, its replicates that gave a value pooled by `reviews.pooling` (the
   rule the agreement engine uses: mean at interval/ratio, median at ordinal, most frequent label
   at nominal, a tie missing). "Cannot judge" and "not reached" are missing, never zero: they are
   left out of every mean.
2. An interview's *consensus* on a metric version is the mean of its raters' values (each rater
   counts once, however many replicates it ran). Raters are all of them, only humans, only judges,
   or one chosen judge/reviewer, as the filters say.
3. A *cell* (a model; a model and an interviewer; a model and a condition level) is summarised over
   its interviews' consensus values: mean, 95% bootstrap interval over interviews, n interviews,
   quartiles (see `stats.py`). Different versions of a metric are different scales and are never
   pooled: every cell is one metric version.
4. Human reviews are counted once the interview is "reviewed" (reviews are blind until then); model
   judges' reviews are counted on every public interview. Only what an anonymous visitor can list
   counts: submitted, in review or reviewed, and public.
5. Ordinal scores count as their position on the scale, lowest = 0. Nominal metrics have no mean.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import Count, F, Q, QuerySet, TextField
from django.db.models.functions import Cast

from commons import selectors as commons_selectors
from reviews.explorer import conf, rater_values
from reviews.explorer.filters import Filters
from reviews.explorer.models import InterviewConsensus, Scope
from reviews.explorer.stats import CellStats, rank_descending, seed_for, summarize
from commons.models import Interview, Interviewer
from reviews.models import MetricVersion, Review, ScaleType, Score
from reviews.pooling import pool

NO_INTERVIEWER = 0  # key of interviews without a recorded interviewer
# Bump when the shape or meaning of a payload changes: stored snapshots of another version are ignored.
PAYLOAD_VERSION = 5

# ---------------------------------------------------------------------------------------------- scope


def public_interviews() -> QuerySet[Interview]:
    """Exactly what an anonymous visitor sees listed: the only interviews any public number counts."""
    return commons_selectors.listed_interviews(AnonymousUser())


def filtered_interviews(filters: Filters) -> QuerySet[Interview]:
    qs = public_interviews()
    if filters.study:
        qs = qs.filter(study_id=filters.study)
    if filters.interviewers:
        qs = qs.filter(interviewer_id__in=filters.interviewers)
    for factor, levels in filters.conditions:
        qs = commons_selectors.filter_condition(qs, factor, list(levels))
    if filters.topic:
        qs = commons_selectors.filter_topic(qs, filters.topic)
    if filters.date_from:
        qs = qs.filter(conducted_on__gte=filters.date_from)
    if filters.date_to:
        qs = qs.filter(conducted_on__lte=filters.date_to)
    return qs


# ---------------------------------------------------------------------------------------------- sources


Conditions = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class GroupedRow:
    """How many interviews of one model/interviewer/condition combination have one consensus value."""

    metric_version_id: int
    model_id: int
    interviewer_id: int
    conditions: Conditions
    value: float | None  # None: assessed, but every rater's value was missing
    count: int


@dataclass(frozen=True)
class DrillRow:
    interview_id: int
    value: float | None
    raters: int
    assessed_by: int


@dataclass(frozen=True)
class Cell:
    """Which interviews a number stands for, within a metric version."""

    model_id: int | None = None
    interviewer_ids: tuple[int, ...] = ()  # any of these (several: one name's stances pooled); empty = any
    conditions: Conditions = ()

    def matches(self, model_id: int, interviewer_id: int, conditions: dict[str, str]) -> bool:
        return ((self.model_id is None or self.model_id == model_id)
                and (not self.interviewer_ids or interviewer_id in self.interviewer_ids)
                and all(conditions.get(factor) == level for factor, level in self.conditions))


def _conditions_key(raw: Any) -> Conditions:
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return ()
    if not isinstance(raw, dict):
        return ()
    return tuple(sorted((str(k), str(v)) for k, v in raw.items() if isinstance(v, (str, int, float))))


class Source(Protocol):
    key: str

    def counts(self) -> dict[str, int]: ...

    def rows(self, metric_version_ids: Iterable[int] | None, *, with_conditions: bool) -> list[GroupedRow]: ...

    def drill(self, metric_version_id: int, cell: Cell, *, missing: bool, offset: int, limit: int
              ) -> tuple[int, list[DrillRow]]: ...


class MaterializedSource:
    """Consensus values precomputed per interview (InterviewConsensus), for all / human / judge raters."""

    def __init__(self, scope: str, interviews: QuerySet[Interview]) -> None:
        self.key = scope
        self.scope = scope
        self.interviews = interviews

    def counts(self) -> dict[str, int]:
        return interview_counts(self.interviews)

    def _base(self) -> QuerySet[InterviewConsensus]:
        return InterviewConsensus.objects.filter(scope=self.scope, interview__in=self.interviews.values("pk"))

    def rows(self, metric_version_ids: Iterable[int] | None, *, with_conditions: bool) -> list[GroupedRow]:
        qs = self._base()
        if metric_version_ids is not None:
            qs = qs.filter(metric_version_id__in=list(metric_version_ids))
        fields = ["metric_version_id", "target_model_id", "interviewer_id", "value"]
        if with_conditions:
            qs = qs.annotate(conditions_text=Cast("interview__conditions", TextField()))
            fields.append("conditions_text")
        grouped = qs.values(*fields).annotate(n=Count("*")).order_by()
        sql, params = grouped.query.sql_with_params()
        keys: dict[str, Conditions] = {}
        out = []
        with connection.cursor() as cursor:  # plain tuples: the ORM's per-row conversion costs more than the query
            cursor.execute(sql, params)
            for row in cursor.fetchall():
                conditions: Conditions = ()
                if with_conditions:
                    text = row[4] or "{}"
                    conditions = keys.get(text) or keys.setdefault(text, _conditions_key(text))
                out.append(GroupedRow(row[0], row[1], row[2] or NO_INTERVIEWER, conditions, row[3], row[-1]))
        return out

    def drill(self, metric_version_id: int, cell: Cell, *, missing: bool, offset: int, limit: int
              ) -> tuple[int, list[DrillRow]]:
        qs = self._base().filter(metric_version_id=metric_version_id, value__isnull=missing)
        if cell.model_id is not None:
            qs = qs.filter(target_model_id=cell.model_id)
        if cell.interviewer_ids:
            known = [i for i in cell.interviewer_ids if i != NO_INTERVIEWER]
            match = Q(interviewer_id__in=known)
            if NO_INTERVIEWER in cell.interviewer_ids:
                match |= Q(interviewer_id__isnull=True)
            qs = qs.filter(match)
        for factor, level in cell.conditions:
            qs = commons_selectors.filter_condition(qs, factor, [level], json_field="interview__conditions")
        total = qs.count()
        page = qs.order_by(F("value").desc(nulls_last=True), "interview_id")[offset:offset + limit]
        return total, [DrillRow(r.interview_id, r.value, r.raters, r.assessed_by) for r in page]


class RaterSource:
    """One judge's or one reviewer's values, computed from their reviews directly (no materialization)."""

    def __init__(self, kind: str, rater_id: int, interviews: QuerySet[Interview], prompt_version: str = "") -> None:
        if kind == Scope.JUDGE and not prompt_version:  # never pooled: the newest unless one is named
            prompt_version = rater_values.counted_judge_versions().get(rater_id, "")
        self.key = f"{kind}:{rater_id}:{prompt_version}"
        self.kind = kind
        self.rater_id = rater_id
        self.prompt_version = prompt_version
        self.interviews = interviews
        self._cache: dict[tuple, list[tuple[int, int, float | None, int]]] = {}

    def counts(self) -> dict[str, int]:
        return interview_counts(self.interviews)

    def _per_interview(self, metric_version_ids: Iterable[int] | None) -> list[tuple[int, int, float | None, int]]:
        """(interview, metric version, value, score rows) for this rater."""
        ids = None if metric_version_ids is None else tuple(sorted(metric_version_ids))
        if ids in self._cache:
            return self._cache[ids]
        reviews = Review.objects.filter(status=Review.Status.SUBMITTED, interview__in=self.interviews.values("pk"))
        if self.kind == Scope.JUDGE:
            reviews = reviews.filter(kind=Review.Kind.JUDGE, judge_id=self.rater_id, prompt_version=self.prompt_version)
        else:
            reviews = reviews.filter(kind=Review.Kind.HUMAN, reviewer_id=self.rater_id,
                                     interview__status=Interview.Status.REVIEWED)
        scores = Score.objects.filter(revision__is_current=True, revision__review__in=reviews.values("pk"))
        if ids is not None:
            scores = scores.filter(metric_version_id__in=ids)
        rows = rater_values.one_rater(scores)  # a judge's replicates pooled by reviews.pooling
        self._cache[ids] = rows
        return rows

    def _interviews(self, ids: Iterable[int]) -> dict[int, tuple[int, int, dict]]:
        found = {}
        wanted = list(set(ids))
        for start in range(0, len(wanted), 5000):
            chunk = wanted[start:start + 5000]
            for pk, model, interviewer, conditions in (Interview.objects.filter(pk__in=chunk)
                                                       .values_list("pk", "target_model_id", "interviewer_id",
                                                                    "conditions")):
                found[pk] = (model, interviewer or NO_INTERVIEWER, conditions if isinstance(conditions, dict) else {})
        return found

    def rows(self, metric_version_ids: Iterable[int] | None, *, with_conditions: bool) -> list[GroupedRow]:
        per_interview = self._per_interview(metric_version_ids)
        facts = self._interviews(r[0] for r in per_interview)
        counts: dict[tuple, int] = defaultdict(int)
        for interview_id, version_id, value, _ in per_interview:
            model, interviewer, conditions = facts[interview_id]
            key = _conditions_key(conditions) if with_conditions else ()
            counts[(version_id, model, interviewer, key, value)] += 1
        return [GroupedRow(v, m, i, c, value, n) for (v, m, i, c, value), n in counts.items()]

    def drill(self, metric_version_id: int, cell: Cell, *, missing: bool, offset: int, limit: int
              ) -> tuple[int, list[DrillRow]]:
        per_interview = [r for r in self._per_interview([metric_version_id]) if (r[2] is None) == missing]
        facts = self._interviews(r[0] for r in per_interview)
        chosen = [DrillRow(i, value, 0 if value is None else 1, 1) for i, _, value, _ in per_interview
                  if cell.matches(*facts[i])]
        chosen.sort(key=lambda r: (r.value is None, -(r.value or 0.0), r.interview_id))
        return len(chosen), chosen[offset:offset + limit]


def interview_counts(interviews: QuerySet[Interview]) -> dict[str, int]:
    return interviews.order_by().aggregate(
        interviews=Count("pk"), models=Count("target_model", distinct=True),
        interviewers=Count("interviewer", distinct=True, filter=Q(interviewer__isnull=False)))


def source_for(filters: Filters) -> Source:
    interviews = filtered_interviews(filters)
    single = filters.single_rater
    if single:
        return RaterSource(single[0], single[1], interviews, filters.prompt_version)
    return MaterializedSource(filters.raters, interviews)


# ---------------------------------------------------------------------------------------------- cells


_known_cells: contextvars.ContextVar[dict[str, dict] | None] = contextvars.ContextVar("explorer_known_cells",
                                                                                      default=None)


def _collect_cells(payload: Any, found: dict[str, dict]) -> None:
    if isinstance(payload, dict):
        if "digest" in payload and "n" in payload:
            found[payload["digest"]] = payload
        for value in payload.values():
            _collect_cells(value, found)
    elif isinstance(payload, list):
        for value in payload:
            _collect_cells(value, found)


@contextmanager
def reusing(previous: Iterable[dict]) -> Iterator[None]:
    """Reuse the statistics of cells whose interviews' values have not changed since `previous` payloads.

    A refresh after a few new reviews then bootstraps only the cells those reviews touched. The
    digest covers the cell's name (its seed) and its histogram, so a reused cell is exactly what
    recomputing it would give.
    """
    found: dict[str, dict] = {}
    for payload in previous:
        _collect_cells(payload, found)
    token = _known_cells.set(found)
    try:
        yield
    finally:
        _known_cells.reset(token)


def cell_payload(hist: dict[float, int], seed_key: str, *, interviewer_ids: Iterable[int],
                 with_histogram: bool = False) -> dict[str, Any]:
    values = sorted(hist)
    replicates = conf.bootstrap_replicates()
    digest = hashlib.sha256(repr((seed_key, replicates, [(v, hist[v]) for v in values])).encode()).hexdigest()[:24]
    known = _known_cells.get()
    if known is not None and digest in known:
        payload = {name: known[digest][name] for name in CellStats.__dataclass_fields__}
    else:
        stats: CellStats = summarize(values, [hist[v] for v in values], seed=seed_for(seed_key), replicates=replicates)
        payload = stats.as_dict()
    payload["digest"] = digest
    payload["interviewer_ids"] = sorted(interviewer_ids)
    payload["interviewers"] = len(payload["interviewer_ids"])
    if with_histogram:
        payload["histogram"] = [[v, hist[v]] for v in sorted(hist)]
    return payload


@dataclass
class _Accumulator:
    hist: dict[float, int] = field(default_factory=lambda: defaultdict(int))
    interviewers: set[int] = field(default_factory=set)

    def add(self, row: GroupedRow) -> None:
        if row.value is not None:
            self.hist[row.value] += row.count
            self.interviewers.add(row.interviewer_id)

    def payload(self, seed_key: str, *, with_histogram: bool = False) -> dict[str, Any]:
        return cell_payload(dict(self.hist), seed_key, interviewer_ids=self.interviewers,
                            with_histogram=with_histogram)


def _averaged(versions: dict[int, MetricVersion]) -> set[int]:
    return {pk for pk, v in versions.items() if v.scale_type != ScaleType.NOMINAL}


def metric_versions(ids: Iterable[int]) -> dict[int, MetricVersion]:
    return {v.pk: v for v in MetricVersion.objects.select_related("metric").filter(pk__in=list(ids))}


def overview_payload(source: Source) -> dict[str, Any]:
    """Models × metric versions: one cell per pair that has interviews with a consensus."""
    rows = source.rows(None, with_conditions=False)
    versions = metric_versions({r.metric_version_id for r in rows})
    averaged = _averaged(versions)
    cells: dict[tuple[int, int], _Accumulator] = defaultdict(_Accumulator)
    totals: dict[int, _Accumulator] = defaultdict(_Accumulator)
    for row in rows:
        if row.metric_version_id in averaged:
            cells[(row.metric_version_id, row.model_id)].add(row)
            totals[row.metric_version_id].add(row)
    payload_cells = {f"{v}:{m}": acc.payload(f"{v}|model={m}") for (v, m), acc in cells.items() if acc.hist}
    return {
        "counts": source.counts(),
        "metric_versions": sorted({v for v, _ in cells if f"{v}:{_}" in payload_cells}),
        "nominal_versions": sorted(set(versions) - averaged),
        "models": sorted({m for (v, m) in cells if f"{v}:{m}" in payload_cells}),
        "cells": payload_cells,
        "totals": {str(v): acc.payload(f"{v}|all") for v, acc in totals.items() if acc.hist},
    }


def metric_payload(source: Source, version: MetricVersion) -> dict[str, Any]:
    """One metric version: per model, per model × interviewer, per model × condition level; coverage."""
    rows = source.rows([version.pk], with_conditions=True)
    by_model: dict[int, _Accumulator] = defaultdict(_Accumulator)
    by_pair: dict[tuple[int, int], _Accumulator] = defaultdict(_Accumulator)
    by_interviewer: dict[int, _Accumulator] = defaultdict(_Accumulator)
    by_name_pair: dict[tuple[int, str], _Accumulator] = defaultdict(_Accumulator)
    by_name: dict[str, _Accumulator] = defaultdict(_Accumulator)
    names = interviewer_names({r.interviewer_id for r in rows})
    by_level: dict[tuple[int, str, str], _Accumulator] = defaultdict(_Accumulator)
    by_two_way: dict[tuple[int, str, str, str, str], _Accumulator] = defaultdict(_Accumulator)
    overall = _Accumulator()
    factor_levels: dict[str, set[str]] = defaultdict(set)
    assessed = missing = 0
    for row in rows:
        assessed += row.count
        if row.value is None:
            missing += row.count
            continue
        by_model[row.model_id].add(row)
        by_pair[(row.model_id, row.interviewer_id)].add(row)
        by_interviewer[row.interviewer_id].add(row)
        by_name_pair[(row.model_id, names[row.interviewer_id])].add(row)
        by_name[names[row.interviewer_id]].add(row)
        overall.add(row)
        for factor, level in row.conditions:
            factor_levels[factor].add(level)
            by_level[(row.model_id, factor, level)].add(row)
        for (f1, l1) in row.conditions:
            for (f2, l2) in row.conditions:
                if f1 < f2:
                    by_two_way[(row.model_id, f1, l1, f2, l2)].add(row)
    v = version.pk
    models = sorted(by_model)
    interviewers = sorted(by_interviewer)
    pairs = {f"{m}:{i}": acc.payload(f"{v}|model={m}|interviewer={i}") for (m, i), acc in by_pair.items()}
    ranks: dict[str, int | None] = {}
    for i in interviewers:
        column = [pairs.get(f"{m}:{i}", {}).get("mean") for m in models]
        ranks.update({f"{m}:{i}": r for m, r in zip(models, rank_descending(column), strict=True)})
    name_list = sorted(by_name, key=str.lower)
    name_pairs = {f"{m}|{n}": acc.payload(f"{v}|model={m}|interviewer-name={n}") for (m, n), acc in by_name_pair.items()}
    for n in name_list:
        column = [name_pairs.get(f"{m}|{n}", {}).get("mean") for m in models]
        for m, r in zip(models, rank_descending(column), strict=True):
            if f"{m}|{n}" in name_pairs:
                name_pairs[f"{m}|{n}"]["rank"] = r
    model_cells = {str(m): acc.payload(f"{v}|model={m}", with_histogram=True) for m, acc in by_model.items()}
    for m, r in zip(models, rank_descending([model_cells[str(m)]["mean"] for m in models]), strict=True):
        model_cells[str(m)]["rank"] = r
    for key, cell in pairs.items():
        cell["rank"] = ranks.get(key)
    factors = []
    for factor in sorted(factor_levels):
        levels = sorted(factor_levels[factor])
        cells = {f"{m}:{level}": by_level[(m, factor, level)].payload(f"{v}|model={m}|{factor}={level}")
                 for m in models for level in levels if by_level[(m, factor, level)].hist}
        factors.append({"factor": factor, "levels": levels, "cells": cells})
    two_way = []
    factor_names = sorted(factor_levels)
    for a_index, first in enumerate(factor_names):
        for second in factor_names[a_index + 1:]:
            cells = {f"{m}:{l1}:{l2}": acc.payload(f"{v}|model={m}|{first}={l1}|{second}={l2}")
                     for (m, f1, l1, f2, l2), acc in by_two_way.items() if f1 == first and f2 == second and acc.hist}
            if cells:
                two_way.append({"factors": [first, second], "levels": [sorted(factor_levels[first]),
                                                                       sorted(factor_levels[second])],
                                "cells": cells})
    return {
        "metric_version": v,
        "models": models,
        "interviewers": interviewers,
        "by_model": model_cells,
        "by_model_interviewer": pairs,
        "by_interviewer": {str(i): acc.payload(f"{v}|interviewer={i}") for i, acc in by_interviewer.items()},
        "interviewer_names": [{"name": n, "interviewer_ids": sorted(i for i in interviewers if names[i] == n)}
                              for n in name_list],
        "by_model_interviewer_name": name_pairs,
        "by_interviewer_name": {n: acc.payload(f"{v}|interviewer-name={n}") for n, acc in by_name.items()},
        "overall": overall.payload(f"{v}|all") if overall.hist else None,
        "factors": factors,
        "two_way": two_way,
        "coverage": {"assessed": assessed, "missing": missing},
    }


def interviewer_names(ids: Iterable[int]) -> dict[int, str]:
    """Interviewer → its name (stances of one name pooled); interviews without one are "Not recorded"."""
    names = dict(Interviewer.objects.filter(pk__in=[i for i in ids if i != NO_INTERVIEWER]).values_list("pk", "name"))
    return {i: names.get(i, "Not recorded") for i in ids}


def coverage_payload(source: Source) -> dict[str, Any]:
    """Per interviewer and metric version: interviews assessed, and how many had no value at all."""
    rows = source.rows(None, with_conditions=False)
    counts: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        entry = counts[(row.interviewer_id, row.metric_version_id)]
        entry[0] += row.count
        if row.value is None:
            entry[1] += row.count
    return {
        "interviewers": sorted({i for i, _ in counts}),
        "metric_versions": sorted({v for _, v in counts}),
        "cells": {f"{i}:{v}": {"assessed": a, "missing": m, "share_missing": m / a if a else None}
                  for (i, v), (a, m) in counts.items()},
    }


def drill(source: Source, metric_version_id: int, cell: Cell, *, missing: bool, offset: int, limit: int
          ) -> tuple[int, list[DrillRow]]:
    return source.drill(metric_version_id, cell, missing=missing, offset=offset, limit=limit)


def nominal_payload(filters: Filters, version: MetricVersion) -> dict[str, Any]:
    """A nominal metric has no mean: per model, the share of each label.

    Each interview counts once: a rater's label is its replicates' most frequent label (`reviews.pooling`;
    a tie gives no label), an interview's shares are the mean over its raters with a label, a model's
    the mean over its interviews.
    """
    interviews = filtered_interviews(filters)
    reviews = Review.objects.filter(status=Review.Status.SUBMITTED, interview__in=interviews.values("pk")).filter(
        Q(kind=Review.Kind.JUDGE) | Q(interview__status=Interview.Status.REVIEWED))
    single = filters.single_rater
    if single and single[0] == Scope.JUDGE:
        prompt = filters.prompt_version or rater_values.counted_judge_versions().get(single[1], "")
        reviews = reviews.filter(kind=Review.Kind.JUDGE, judge_id=single[1], prompt_version=prompt)
    elif single:
        reviews = reviews.filter(kind=Review.Kind.HUMAN, reviewer_id=single[1])
    else:
        reviews = reviews.filter(rater_values.counted_reviews_q())  # each judge's newest prompt version
        if filters.raters != Scope.ALL:
            reviews = reviews.filter(kind=filters.raters)
    rows = (Score.objects.filter(metric_version=version, revision__is_current=True,
                                 revision__review__in=reviews.values("pk")).exclude(label="")
            .values_list("revision__review__interview_id", "revision__review__interview__target_model_id",
                         "revision__review__kind", "revision__review__reviewer_id", "revision__review__judge_id",
                         "revision__review__prompt_version", "label"))
    by_rater: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    model_of: dict[int, int] = {}
    for interview, model, kind, reviewer, judge, prompt, label in rows:
        by_rater[(interview, kind, reviewer, judge, prompt)][label] += 1
        model_of[interview] = model
    per_interview: dict[int, list[dict[str, float]]] = defaultdict(list)
    for (interview, *_), labels in by_rater.items():
        pooled = pool([label for label, n in labels.items() for _ in range(n)], ScaleType.NOMINAL)
        if pooled is not None:
            per_interview[interview].append({pooled: 1.0})
    per_model: dict[int, list[dict[str, float]]] = defaultdict(list)
    for interview, raters in per_interview.items():
        shares: dict[str, float] = defaultdict(float)
        for rater in raters:
            for label, share in rater.items():
                shares[label] += share / len(raters)
        per_model[model_of[interview]].append(shares)
    labels = list(version.values) + sorted({label for r in by_rater.values() for label in r} - set(version.values))
    return {"labels": labels, "models": {
        str(m): {"n": len(items), "shares": [sum(i.get(label, 0.0) for i in items) / len(items) for label in labels]}
        for m, items in per_model.items()}}
