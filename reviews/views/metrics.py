"""Metrics and rubrics: browsing, commenting, and the curators' proposals, adoption and retirement."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from commons.curators import acts_as_curator, second_factor_redirect
from commons.http import AuthenticatedHttpRequest, acting_user
from commons.selectors import visible_studies
from commons.models import Study
from commons.params import parse_id
from commons.services import ServiceError
from reviews import conf, selectors, services
from reviews.forms import CommentForm, MetricVersionForm, RetireForm, RubricVersionsForm
from reviews.models import MetricVersion, Rubric

from reviews.views.access import curators_only, forbidden


def metric_list(request: HttpRequest) -> HttpResponse:
    metrics = list(selectors.metrics_with_versions())
    rows: list[dict[str, Any]] = []
    for metric in metrics:
        versions = list(metric.versions.all())
        adopted = next((v for v in versions if v.status == MetricVersion.Status.ADOPTED), None)
        proposed = [v for v in versions if v.status == MetricVersion.Status.PROPOSED]
        rows.append({"metric": metric, "latest": versions[0] if versions else None, "adopted": adopted,
                     "proposed": proposed})
    # The default rubric's order (its groups), then any other metrics by name.
    order = {v.metric_id: i for i, v in enumerate(selectors.rubric_versions(selectors.default_rubric()))}
    rows.sort(key=lambda r: (order.get(r["metric"].pk, len(order)), r["latest"].name if r["latest"] else ""))
    return render(request, "reviews/metric_list.html", {"rows": rows, "rubrics": Rubric.objects.all()})


def metric_detail(request: HttpRequest, slug: str) -> HttpResponse:
    metric = selectors.get_metric(slug)
    comment_form = None
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"{reverse('account_login')}?next={request.path}")
        comment_form = CommentForm(request.POST)
        version = get_object_or_404(MetricVersion, metric=metric, pk=parse_id(request.POST.get("version", "")) or 0)
        if comment_form.is_valid():
            try:
                services.comment_on_version(author=request.user, version=version, body=comment_form.cleaned_data["body"])
            except services.NotAllowed as err:
                return forbidden(request, err.message)
            except ServiceError as err:
                comment_form.add_error("body", err.message)
            else:
                messages.success(request, "Comment posted.")
                return redirect(metric)
    versions = list(metric.versions.prefetch_related("comments__author"))
    return render(request, "reviews/metric_detail.html", {
        "metric": metric, "versions": versions, "comment_form": comment_form or CommentForm(),
        "can_comment": request.user.is_authenticated and services.is_verified(request.user)},
        status=400 if comment_form is not None and comment_form.errors else 200)


@login_required
def metric_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    if denied := curators_only(request):
        return denied
    form = MetricVersionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            version = services.propose_metric(actor=request.user, slug=form.cleaned_data["slug"], spec=form.spec(),
                                              change_note=form.cleaned_data["change_note"])
        except ServiceError as err:
            form.add_service_error(err)
        else:
            messages.success(request, "Metric proposed. Adopt it when the discussion has settled.")
            return redirect(version.metric)
    return render(request, "reviews/metric_form.html", {"form": form, "metric": None},
                  status=400 if form.errors else 200)


@login_required
def metric_propose_version(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    if denied := curators_only(request):
        return denied
    metric = selectors.get_metric(slug)
    latest = metric.versions.order_by("-number").first()
    form = MetricVersionForm(request.POST or None, new_metric=False,
                             initial=MetricVersionForm.initial_from(latest) if latest else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.propose_version(actor=request.user, metric=metric, spec=form.spec(),
                                     change_note=form.cleaned_data["change_note"])
        except ServiceError as err:
            form.add_service_error(err)
        else:
            messages.success(request, "New version proposed. Existing reviews keep the version they used.")
            return redirect(metric)
    return render(request, "reviews/metric_form.html", {"form": form, "metric": metric, "latest": latest},
                  status=400 if form.errors else 200)


@login_required
@require_POST
def metric_version_action(request: AuthenticatedHttpRequest, slug: str, number: int, action: str) -> HttpResponse:
    version = selectors.get_metric_version(slug, number)
    if denied := curators_only(request):
        return denied
    try:
        if action == "adopt":
            services.adopt_version(actor=request.user, version=version)
            messages.success(request, f"{version} adopted.")
        else:
            form = RetireForm(request.POST)
            reason = form.cleaned_data["reason"] if form.is_valid() else ""
            services.retire_version(actor=request.user, version=version, reason=reason)
            messages.success(request, f"{version} retired.")
    except ServiceError as err:
        messages.error(request, err.message)
    return redirect(version.metric)


def rubric_list(request: HttpRequest) -> HttpResponse:
    rubrics = Rubric.objects.annotate(n=Count("items")).order_by("-is_default", "name")
    studies = Study.objects.select_related("review_config__rubric").order_by("title") \
        if acts_as_curator(request) else []
    return render(request, "reviews/rubric_list.html", {"rubrics": rubrics, "studies": studies,
                                                        "default_target": conf.default_target_reviews()})


def rubric_detail(request: HttpRequest, slug: str) -> HttpResponse:
    rubric = selectors.get_rubric(slug)
    form = None
    if request.method == "POST" and (sent_on := second_factor_redirect(request)):
        return sent_on
    if acts_as_curator(request):
        form = RubricVersionsForm(request.POST or None, rubric=rubric,
                                  initial={"versions": [v.pk for v in selectors.rubric_versions(rubric)]})
        if request.method == "POST" and form.is_valid():
            try:
                services.set_rubric_versions(actor=acting_user(request), rubric=rubric,
                                             versions=list(form.cleaned_data["versions"]))
            except ServiceError as err:
                form.add_error("versions", err.message)
            else:
                messages.success(request, "Rubric updated.")
                return redirect(rubric)
    elif request.method == "POST":
        return forbidden(request, "Only curators can change rubrics.")
    versions = selectors.rubric_versions(rubric)
    newer = {v.pk: v.metric.versions.filter(status=MetricVersion.Status.ADOPTED, number__gt=v.number).first()
             for v in versions}
    studies = visible_studies(request.user).filter(review_config__rubric=rubric)
    return render(request, "reviews/rubric_detail.html", {
        "rubric": rubric, "versions": [(v, newer[v.pk]) for v in versions], "form": form, "studies": studies},
        status=400 if form is not None and form.errors else 200)
