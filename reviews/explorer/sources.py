"""Where the explorer's numbers come from: the public interviews a filter selects, and the rows of
consensus values over them (materialized per scope, or one rater's reviews read directly).

Reads only. `aggregation` turns these rows into cells and page payloads.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import Count, F, Q, QuerySet, TextField
from django.db.models.functions import Cast

from commons import selectors as commons_selectors
from commons.models import Interview
from reviews.explorer import rater_values
from reviews.explorer.filters import Filters
from reviews.explorer.models import InterviewConsensus, Scope
from reviews.models import Review
from reviews.selectors import blind_scores, judge_scores_public_q

NO_INTERVIEWER = 0  # key of interviews without a recorded interviewer

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
        self._cache: dict[tuple[int, ...] | None, list[tuple[int, int, float | None, int]]] = {}  # None: all metrics

    def counts(self) -> dict[str, int]:
        return interview_counts(self.interviews)

    def _per_interview(self, metric_version_ids: Iterable[int] | None) -> list[tuple[int, int, float | None, int]]:
        """(interview, metric version, value, score rows) for this rater."""
        ids = None if metric_version_ids is None else tuple(sorted(metric_version_ids))
        if ids in self._cache:
            return self._cache[ids]
        reviews = Review.objects.filter(status=Review.Status.SUBMITTED, interview__in=self.interviews.values("pk"))
        if self.kind == Scope.JUDGE:  # blind like a person's until reviewed, unless the study publishes them
            reviews = reviews.filter(judge_scores_public_q("interview__"), kind=Review.Kind.JUDGE,
                                     judge_id=self.rater_id, prompt_version=self.prompt_version)
        else:
            reviews = reviews.filter(kind=Review.Kind.HUMAN, reviewer_id=self.rater_id,
                                     interview__status=Interview.Status.REVIEWED)
        current = blind_scores().filter(revision__review__in=reviews.values("pk"))  # the values alpha reads
        scores = current if ids is None else current.filter(metric_version_id__in=ids)
        rows = rater_values.one_rater(scores)  # a judge's replicates pooled by reviews.pooling
        rows += rater_values.one_rater_derived(current, ids)  # derived versions: per revision, then pooled
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
