"""Public explorer pages. Thin: parse the URL, call a selector, render. No login needed anywhere."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from commons.curators import second_factor_redirect
from commons.http import AuthenticatedHttpRequest
from commons.timeouts import statement_timeout
from reviews.explorer import charts, conf, materialize, selectors
from reviews.explorer import release_withdrawals
from reviews.explorer import releases as release_service
from reviews.explorer.filters import ParsedFilters, parse_filters
from reviews.explorer.models import DatasetRelease, ReleaseFile
from reviews.explorer.params import parse_drill, parse_version


def reading(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """One consistent reading of the public set per request (its fingerprint is computed once), each
    statement time-limited (a 503 when it trips, commons/timeouts.py)."""
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> HttpResponse:
        with materialize.one_reading(), statement_timeout(conf.statement_timeout_ms()):
            return view(*args, **kwargs)

    return wrapped


def _render(request: HttpRequest, template: str, parsed: ParsedFilters, context: dict[str, Any],
            *, page: str) -> HttpResponse:
    options = selectors.filter_options()
    chosen_conditions = dict(parsed.filters.conditions)
    context.update({
        "filters": parsed.filters,
        "filter_errors": parsed.errors,
        "options": options,
        "chosen_conditions": chosen_conditions,
        "query": parsed.filters.query(),
        "explorer_page": page,
    })
    return render(request, template, context, status=400 if parsed.errors else 200)


@require_GET
@reading
def overview(request: HttpRequest) -> HttpResponse:
    parsed = parse_filters(request.GET)
    key = selectors.page_key("overview", parsed.filters)
    data = selectors.overview(parsed.filters, key=key)
    # The template caches the page body (charts' data and the table, one decorated cell per model and
    # metric) under the same key: building them took most of a warm request. The chart data is a
    # callable, which the template calls only when it renders the body, i.e. on a cache miss.
    return _render(request, "explorer/overview.html", parsed,
                   {"data": data, "chart": lambda: charts.overview(data), "page_key": key}, page="overview")


@require_GET
@reading
def metric(request: HttpRequest, slug: str) -> HttpResponse:
    parsed = parse_filters(request.GET)
    number = parse_version(request.GET, parsed)
    columns = request.GET.get("columns")
    key = selectors.page_key("metric", parsed.filters, slug, number, columns)
    data = selectors.metric_detail(slug, number, parsed.filters, columns=columns, key=key)
    if data.get("nominal"):
        return _render(request, "explorer/metric_nominal.html", parsed, {"data": data}, page="metric")
    # As on the overview: the body is cached by the template under the page's key, and the chart data are
    # callables the template calls only when it renders the body.
    context = {
        "data": data,
        "page_key": key,
        "distribution_chart": lambda: charts.distribution(data),
        "interviewer_chart": lambda: charts.by_interviewer(data),
        "condition_sections": lambda: [{"factor": factor, "chart": charts.by_condition(data, factor),
                                        "dom_id": f"cond-{k}"} for k, factor in enumerate(data["factors"])],
    }
    return _render(request, "explorer/metric.html", parsed, context, page="metric")


@require_GET
@reading
def coverage(request: HttpRequest) -> HttpResponse:
    parsed = parse_filters(request.GET)
    data = selectors.coverage(parsed.filters)
    return _render(request, "explorer/coverage.html", parsed, {"data": data, "chart": charts.coverage(data)},
                   page="coverage")


@require_GET
@reading
def agreement(request: HttpRequest) -> HttpResponse:
    parsed = parse_filters(request.GET)
    data = selectors.agreement(parsed.filters)
    chart = charts.agreement(data, data["thresholds"]["min_alpha"])
    return _render(request, "explorer/agreement.html", parsed, {"data": data, "chart": chart}, page="agreement")


@require_GET
@reading
def interviews(request: HttpRequest) -> HttpResponse:
    drill = parse_drill(request.GET)
    data = None
    if drill.metric_version is not None:
        data = selectors.drilldown(drill.parsed.filters, metric_version_id=drill.metric_version, cell=drill.cell,
                                   missing=drill.missing, page=drill.page)
    base = request.GET.copy()
    base.pop("page", None)
    return _render(request, "explorer/interviews.html", drill.parsed,
                   {"data": data, "page_query": base.urlencode()}, page="interviews")


@require_GET
def data(request: HttpRequest) -> HttpResponse:
    context = {
        "releases": selectors.releases(),
        "pending": DatasetRelease.objects.exclude(status=DatasetRelease.Status.READY)[:5],
        "formats": release_service.FORMATS,
        "tables": release_service.TABLES,
        "explorer_page": "data",
    }
    return render(request, "explorer/data.html", context)


def _withdrawal_context(release: DatasetRelease) -> dict[str, Any]:
    if not release.contains_withdrawn:
        return {}
    return {"withdrawn_count": release_withdrawals.withdrawn_interview_count(release),
            "redacted_count": release_withdrawals.redacted_interview_count(release),
            "replacement": release_withdrawals.newest_without_withdrawn(excluding=release)}


@require_GET
def release_detail(request: HttpRequest, version: str) -> HttpResponse:
    release = get_object_or_404(DatasetRelease.objects.prefetch_related("files"), version=version,
                                status=DatasetRelease.Status.READY)
    return render(request, "explorer/release.html", {"release": release, "explorer_page": "data",
                                                     "bundle": release_service.bundle_file(release),
                                                     **_withdrawal_context(release)})


def _release_gone(request: HttpRequest, release: DatasetRelease) -> HttpResponse:
    """410: the release holds an interview withdrawn since; say so, and where to go instead."""
    context = _withdrawal_context(release)
    replacement = context["replacement"]
    message = (f"Release {release.version} contains an interview that has been withdrawn since it was built, so its "
               f"files are no longer served. The release is not rebuilt; a newer release leaves the interview out.")
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({
            "detail": message, "release": release.version,
            "contains_withdrawn_since": (release.contains_withdrawn_since.isoformat()
                                         if release.contains_withdrawn_since else None),
            "newest_release_without_withdrawn": replacement.version if replacement else None,
            "newest_release_url": reverse("explorer:release", args=[replacement.version]) if replacement else None,
        }, status=410)
    return render(request, "explorer/release_gone.html",
                  {"release": release, "message": message, "explorer_page": "data", **context}, status=410)


@require_GET
def release_file(request: HttpRequest, version: str, name: str) -> HttpResponseBase:
    file = get_object_or_404(ReleaseFile.objects.select_related("release"), release__version=version, name=name,
                             release__status=DatasetRelease.Status.READY)
    if file.release.contains_withdrawn:
        return _release_gone(request, file.release)
    root = Path(settings.MEDIA_ROOT).resolve()
    path = (root / file.path).resolve()
    if root not in path.parents or not path.is_file():
        raise Http404("This file is no longer stored.")
    response = FileResponse(path.open("rb"), as_attachment=True, filename=file.name)
    response["X-Content-SHA256"] = file.sha256
    return response


@login_required
@require_POST
def request_release(request: AuthenticatedHttpRequest) -> HttpResponse:
    if sent_on := second_factor_redirect(request):
        return sent_on
    if not request.user.is_curator:
        return HttpResponseForbidden("Only curators can publish a release.")
    release = release_service.request_release(requested_by=request.user, note=request.POST.get("note", ""))
    messages.success(request, f"Release {release.version} is being built; it appears here when ready.")
    return redirect("explorer:data")
