"""Reads for derived metric versions: which exist, and their values per review revision (`reviews.derived`).

Every path that reads scores (the explorer's rater values, one rater's values, the agreement
engine's ratings) asks here for the derived versions' values of the same revisions, so a derived
value is computed one way everywhere: per revision, from that revision's own input scores.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import QuerySet

from reviews.derived import evaluate
from reviews.models import MetricVersion, Score


def derived_versions(ids: Iterable[int] | None = None) -> list[MetricVersion]:
    qs = MetricVersion.objects.exclude(formula="").select_related("metric").order_by("pk")
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return list(qs)


def dependents(metric_version_ids: Iterable[int]) -> set[int]:
    """Derived versions computed from any of these versions (their values change when these scores do)."""
    changed = {int(i) for i in metric_version_ids}
    return {v.pk for v in derived_versions() if changed & {int(i) for i in v.formula_inputs}}


def per_revision(versions: list[MetricVersion], scores: QuerySet[Score]) -> list[tuple[int, int, float | None]]:
    """(revision, derived version, value) for each revision in `scores` that scored any input of a version.

    `scores` chooses the revisions (current ones of counted reviews, one rater's, …); a revision with
    no score on any input of a version gets no row for it (not assessed), one whose inputs are all
    missing gets None (assessed, missing).
    """
    if not versions:
        return []
    inputs = sorted({int(i) for v in versions for i in v.formula_inputs})
    by_revision: dict[int, dict[int, float | None]] = defaultdict(dict)
    for revision_id, version_id, value in (scores.filter(metric_version_id__in=inputs).order_by()
                                           .values_list("revision_id", "metric_version_id", "value")):
        by_revision[revision_id][version_id] = value
    rows = []
    for revision_id, values in by_revision.items():
        for version in versions:
            wanted = [int(i) for i in version.formula_inputs]
            if any(i in values for i in wanted):
                rows.append((revision_id, version.pk, evaluate(version.formula, [values.get(i) for i in wanted])))
    return rows


__all__ = ["dependents", "derived_versions", "per_revision"]
