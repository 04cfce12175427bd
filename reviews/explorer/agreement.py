"""The agreement numbers the explorer shows: issue 4's stored results (public audience), read only.

Every explorer cell carries the alpha of the slice it belongs to: a model's cell the
``target_model`` slice, an interviewer column the ``interviewer`` slice, and so on (see
`slice_for_cell`). Public agreement counts only interviews whose reviews are public (status
reviewed); where no public result exists the cell says "agreement not available" and is marked.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Max

from reviews.explorer.models import Scope

PUBLIC = "public"

# Slice types as stored by reviews.reliability (AgreementResult.slice_type).
ALL, STUDY, MODEL, INTERVIEWER, CONDITION = "all", "study", "target_model", "interviewer", "condition"
REVIEWER_KIND, HUMAN_JUDGE, JUDGE_REPLICATES = "reviewer_kind", "human_judge", "judge_replicates"

SliceKey = tuple[int, str, str]  # metric version, slice type, slice value


def _results():  # noqa: ANN202 - the model lives in another app, imported late on purpose
    from reviews.reliability.models import AgreementResult

    return AgreementResult.objects.filter(audience=PUBLIC)


def fingerprint() -> str:
    row = _results().aggregate(n=Count("id"), latest=Max("computed_at"), top=Max("id"))
    return hashlib.sha256(f"{row['n']}|{row['latest']}|{row['top']}".encode()).hexdigest()


def as_dict(result: Any) -> dict[str, Any]:
    return {
        "alpha": result.alpha, "ci_low": result.ci_low, "ci_high": result.ci_high,
        "q_below_667": result.q_below_667, "q_below_800": result.q_below_800, "small_sample": result.small_sample,
        "reason": result.undefined_reason, "units": result.n_units, "pairable_values": result.n_pairable_values,
        "raters": result.n_raters, "level": result.level, "slice_type": result.slice_type,
        "slice_value": result.slice_value, "slice_label": result.slice_label,
        "computed_at": result.computed_at.isoformat() if result.computed_at else None,
        # Separately labelled, never the headline: each review's newest revision, after unblinding included.
        "post_discussion_alpha": result.post_discussion_alpha,
        "values_revised_after_unblinding": result.values_revised_after_unblinding,
    }


def index(metric_version_ids: Iterable[int]) -> dict[SliceKey, dict[str, Any]]:
    """Every public result of these metric versions, keyed by (version, slice type, slice value)."""
    ids = list(metric_version_ids)
    if not ids:
        return {}
    return {(r.metric_version_id, r.slice_type, r.slice_value): as_dict(r)
            for r in _results().filter(metric_version_id__in=ids)}


def results(metric_version_ids: Iterable[int] | None = None) -> list[dict[str, Any]]:
    qs = _results().select_related("metric_version__metric").order_by("metric_version_id", "slice_type", "slice_label")
    if metric_version_ids is not None:
        qs = qs.filter(metric_version_id__in=list(metric_version_ids))
    out = []
    for r in qs:
        row = as_dict(r)
        row["metric_version"] = r.metric_version_id
        out.append(row)
    return out


def scope_slice(scope: str) -> tuple[str, str]:
    """Alpha among the raters a consensus was taken over, when it is not split further."""
    if scope == Scope.HUMAN:
        return REVIEWER_KIND, "human"
    if scope == Scope.JUDGE:
        return REVIEWER_KIND, "judge"
    return ALL, ""


def lookup(agreement: dict[SliceKey, dict[str, Any]], metric_version_id: int,
           *candidates: tuple[str, str]) -> dict[str, Any] | None:
    """The first stored result among candidate slices (most specific first)."""
    for slice_type, slice_value in candidates:
        found = agreement.get((metric_version_id, slice_type, slice_value))
        if found is not None:
            return found
    return None
