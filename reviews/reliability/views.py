"""Agreement pages: the public table, one result in detail, and the curators' adjudication list."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import render

from commons.curators import acts_as_curator, second_factor_redirect
from commons.http import AuthenticatedHttpRequest
from reviews.models import MetricVersion
from reviews.reliability import conf, selectors
from reviews.reliability.models import AgreementResult, Audience, SliceType

# The comparisons shown side by side in the overview, one column each.
OVERVIEW_COLUMNS = [
    (("all", ""), "All reviewers",
     "Every human reviewer, and each model judge as one rater (its replicates pooled: mean, median or most frequent label by level)."),
    (("reviewer_kind", "human"), "Humans only", "Human reviewers only."),
    (("reviewer_kind", "judge"), "Judges only",
     "Model judges only, one rater per judge: with two judges, judge A vs judge B."),
    (("human_judge", ""), "Humans vs judges", "The human panel's consensus against the judge panel's consensus."),
]
SLICE_ORDER = {value: i for i, value in enumerate(SliceType.values)}


def _is_curator(request: HttpRequest) -> bool:
    return acts_as_curator(request)


def agreement(request: HttpRequest) -> HttpResponse:
    """Public: alpha with its interval and n per metric (overview) or per metric and slice (filtered)."""
    if request.GET.get("audience") == Audience.INTERNAL and (sent_on := second_factor_redirect(request)):
        return sent_on
    audience = selectors.audience_for(request.user, request.GET.get("audience"))
    results = selectors.agreement_results(request.user, audience=audience)
    metric = (request.GET.get("metric") or "").strip()
    slice_type = (request.GET.get("slice_type") or "").strip()
    notice = ""
    if slice_type and slice_type not in SliceType.values:
        notice = f"“{slice_type}” is not a kind of slice; showing all."
        slice_type = ""
    versions = sorted(MetricVersion.objects.filter(agreement_results__in=results).distinct().select_related("metric"),
                      key=lambda v: (v.name.lower(), v.metric.slug, v.number))
    context: dict[str, Any] = {
        "audience": audience,
        "can_choose_audience": _is_curator(request),
        "metric": metric,
        "slice_type": slice_type,
        "slice_types": SliceType.choices,
        "versions": versions,
        "notice": notice,
        "threshold": conf.flag_threshold(),
        "columns": [(label, help_text) for _, label, help_text in OVERVIEW_COLUMNS],
        "withheld": selectors.withheld_count(request.user) if audience == Audience.INTERNAL else 0,
    }
    if not metric and not slice_type:
        wanted = {key for key, _, _ in OVERVIEW_COLUMNS}
        by_version: dict[int, dict[tuple[str, str], AgreementResult]] = {}
        for result in results.filter(slice_type__in={t for t, _ in wanted}):
            if (result.slice_type, result.slice_value) in wanted:
                by_version.setdefault(result.metric_version_id, {})[(result.slice_type, result.slice_value)] = result
        overview, unrated = [], []
        for version in versions:
            cells = [by_version.get(version.pk, {}).get(key) for key, _, _ in OVERVIEW_COLUMNS]
            if any(cell is not None and cell.n_ratings for cell in cells):
                overview.append((version, cells))
            else:
                unrated.append(version)
        context["overview"] = overview
        context["unrated"] = unrated
        context["latest"] = results.order_by("-computed_at").values_list("computed_at", flat=True).first()
        return render(request, "reliability/agreement.html", context)

    filtered = selectors.filter_results(results, {"metric": metric, "slice_type": slice_type})
    rows = sorted(filtered, key=lambda r: (r.metric_version.name.lower(), r.metric_version.number,
                                           SLICE_ORDER.get(r.slice_type, 99), r.slice_label.lower()))
    page = Paginator(rows, 300).get_page(request.GET.get("page"))
    groups: OrderedDict[MetricVersion, list[AgreementResult]] = OrderedDict()
    for result in page:
        groups.setdefault(result.metric_version, []).append(result)
    query = request.GET.copy()
    query.pop("page", None)
    context.update({"groups": groups, "page": page, "query": query.urlencode(), "n_results": len(rows)})
    return render(request, "reliability/agreement.html", context)


def result_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One result with everything it rests on; curators also see the reviewer-level breakdown."""
    result = selectors.get_result(request.user, pk)
    if result.audience == Audience.INTERNAL and (sent_on := second_factor_redirect(request)):
        return sent_on
    show_raters = _is_curator(request) and result.audience == Audience.INTERNAL
    pairwise = result.pairwise if show_raters else {}
    matrix = []
    if pairwise:
        for i, label in enumerate(pairwise["labels"]):
            matrix.append((label, [(pairwise["alpha"][i][j], pairwise["n_units"][i][j], i == j)
                                   for j in range(len(pairwise["labels"]))]))
    counterpart = None
    if _is_curator(request):
        other = Audience.PUBLIC if result.audience == Audience.INTERNAL else Audience.INTERNAL
        counterpart = selectors.agreement_results(request.user, audience=other).filter(
            metric_version=result.metric_version, slice_type=result.slice_type,
            slice_value=result.slice_value).first()
    return render(request, "reliability/result.html", {
        "result": result, "show_raters": show_raters, "matrix": matrix,
        "pairwise_labels": pairwise.get("labels", []), "counterpart": counterpart,
    })


@login_required
def adjudication(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Curators: interviews whose reviewers disagree beyond the threshold, worst first."""
    if sent_on := second_factor_redirect(request):
        return sent_on
    if not _is_curator(request):
        return HttpResponseForbidden("Curators only.")
    metric = (request.GET.get("metric") or "").strip()
    qs = selectors.adjudication_queue(request.user, metric=metric or None)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    versions = (MetricVersion.objects.filter(unit_disagreements__isnull=False).distinct().select_related("metric")
                .order_by("metric__slug", "number"))
    return render(request, "reliability/adjudication.html", {
        "page": page, "metric": metric, "versions": versions, "threshold": conf.flag_threshold(),
        "query": query.urlencode(),
    })
