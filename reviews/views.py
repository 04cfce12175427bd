"""HTML pages for peer review. Thin: parse with a form, call a service or selector, render.

Outsiders get 404 for anything they cannot see; signed-in users without the needed role get 403.
Review content is read only through the blind-rule selectors.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from commons.http import AuthenticatedHttpRequest
from commons.models import Interview, Study
from commons.params import parse_id
from commons.selectors import get_viewable_interview
from commons.services import ServiceError
from reviews import conf, selectors, services
from reviews.forms import (
    ApplicationForm,
    AssignForm,
    CommentForm,
    DecisionForm,
    MetricVersionForm,
    ProfileForm,
    RetireForm,
    ReviewForm,
    RubricVersionsForm,
    StudyReviewForm,
)
from reviews.models import (
    Assignment,
    MetricVersion,
    Review,
    ReviewerApplication,
    Rubric,
)
from reviews.services.writing import METHOD_FLAGS


def _forbidden(request: HttpRequest, message: str, *, apply_link: bool = False) -> HttpResponse:
    return render(request, "reviews/forbidden.html", {"message": message, "apply_link": apply_link}, status=403)


def _curators_only(request: AuthenticatedHttpRequest) -> HttpResponse | None:
    if not request.user.is_curator:
        return _forbidden(request, "Only curators can do this.")
    return None


# --- transcript rendering with evidence offsets ----------------------------------------------------


def _crlf_positions(text: str) -> list[int]:
    """Where, in the text as a browser shows it (CR LF → LF), a CR was dropped — so offsets map back."""
    positions, dropped = [], 0
    start = text.find("\r\n")
    while start >= 0:
        positions.append(start - dropped)
        dropped += 1
        start = text.find("\r\n", start + 2)
    return positions


def transcript_for_review(interview: Interview) -> list[dict]:
    """Turns with each text block's code-point offset in `Turn.text`, for selecting evidence spans."""
    turns = []
    for turn in selectors.transcript_turns(interview):
        offset = 0
        blocks = []
        for block in turn.blocks:
            if block.get("type") == "text":
                text = str(block.get("text", ""))
                blocks.append({**block, "offset": offset, "crlf": ",".join(map(str, _crlf_positions(text)))})
                offset += len(text) + 2
            else:
                blocks.append(block)
        turns.append({"index": turn.index, "role": turn.role, "participant": turn.participant, "blocks": blocks,
                      "parent_index": turn.parent.index if turn.parent is not None else None,
                      "starts_over": turn.starts_over})
    return turns


def _grouped_scores(revision) -> list[dict]:
    groups: list[dict] = []
    for score in sorted(revision.scores.all(), key=lambda s: (s.metric_version.group, s.metric_version.metric.slug)):
        group = score.metric_version.group
        if not groups or groups[-1]["group"] != group:
            groups.append({"group": group, "scores": []})
        groups[-1]["scores"].append(score)
    return groups


def _side_by_side(interview: Interview, reviews: list[dict]) -> list[dict]:
    """Rows of metric versions (the rubric's order first), one cell per review: where reviewers differ."""
    order = {v.pk: i for i, v in enumerate(selectors.rubric_versions(selectors.rubric_for(interview)))}
    by_review = [{s.metric_version_id: s for s in item["revision"].scores.all()} for item in reviews]
    versions = {s.metric_version_id: s.metric_version for scores in by_review for s in scores.values()}
    ordered = sorted(versions.values(), key=lambda v: (order.get(v.pk, len(order)), v.metric.slug, v.number))
    return [{"version": v, "cells": [scores.get(v.pk) for scores in by_review]} for v in ordered]


# --- the reviewer's side -----------------------------------------------------------------------------


@login_required
def queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_reviewer:
        applications = selectors.own_applications(user)
        return render(request, "reviews/queue_apply.html", {"applications": applications,
                                                            "pending": applications.filter(status="pending").exists()})
    claim = services.current_claim(user)
    assignments = selectors.live_assignments(user).exclude(kind=Assignment.Kind.CLAIM)
    reviews = list(selectors.my_reviews(user))
    held = set(selectors.live_assignments(user).values_list("interview_id", flat=True))
    drafts_without_place = [r for r in reviews if r.status == Review.Status.DRAFT and r.interview_id not in held]
    context = {
        "claim": claim, "assignments": assignments, "drafts_without_place": drafts_without_place,
        "submitted": [r for r in reviews if r.status == Review.Status.SUBMITTED],
        "drafts": [r for r in reviews if r.status == Review.Status.DRAFT and r.interview_id in held],
        "profile": services.ensure_profile(user),
    }
    return render(request, "reviews/queue.html", context)


@login_required
@require_POST
def claim(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not request.user.is_reviewer:
        return _forbidden(request, "Only approved reviewers can claim interviews.", apply_link=True)
    try:
        slot = services.claim_next(reviewer=request.user)
    except ServiceError as err:
        messages.info(request, err.message)
        return redirect("reviews:queue")
    return redirect("reviews:workspace", pk=slot.interview_id)


@login_required
@require_POST
def release(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    slot = get_object_or_404(Assignment, pk=pk, reviewer=request.user)
    try:
        services.release_assignment(reviewer=request.user, assignment=slot)
    except ServiceError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, "Released. Your draft, if any, is kept.")
    return redirect("reviews:queue")


@login_required
def workspace(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The review form beside the transcript."""
    user = request.user
    interview = get_viewable_interview(user, pk)
    if not user.is_reviewer:
        return _forbidden(request, "Only approved reviewers can review interviews.", apply_link=True)
    reason = selectors.conflict_reason(user, interview)
    if reason:
        return _forbidden(request, reason)
    review = selectors.own_review(user, interview)
    slot = selectors.held_assignment(user, interview)
    if review is None and slot is None:
        return _forbidden(request, "Claim this interview from your review queue (or be assigned it) to review it.")
    versions = selectors.rubric_versions(selectors.rubric_for(interview))
    draft = selectors.open_draft(review)
    shown = draft or (review.current_revision if review else None)
    status = 200
    if request.method == "POST":
        form = ReviewForm(request.POST, versions=versions)
        action = request.POST.get("action", "save")
        if form.is_valid():
            try:
                content = form.content()
                if action == "submit":
                    services.submit_review(reviewer=user, interview=interview, content=content)
                else:
                    services.save_draft(reviewer=user, interview=interview, content=content)
            except ServiceError as err:
                form.add_service_error(err)
            else:
                if action == "submit":
                    messages.success(request, "Review submitted. Other reviewers' reviews of this interview are "
                                              "now open to you.")
                    return redirect("reviews:interview_reviews", pk=interview.pk)
                messages.success(request, "Draft saved.")
                return redirect("reviews:workspace", pk=interview.pk)
        status = 400
    else:
        form = ReviewForm(initial=ReviewForm.initial_from(shown, versions), versions=versions)
    context = {
        "interview": interview, "turns": transcript_for_review(interview), "form": form, "review": review,
        "draft": draft, "slot": slot, "versions": versions, "rubric": selectors.rubric_for(interview),
        "revising": review is not None and review.status == Review.Status.SUBMITTED,
        "metric_options": [{"id": str(v.pk), "name": v.name} for v in versions],
    }
    return render(request, "reviews/workspace.html", context, status=status)


@login_required
@require_POST
def discard(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    interview = get_viewable_interview(request.user, pk)
    review = selectors.own_review(request.user, interview)
    if review is None:
        return _forbidden(request, "You have no review of this interview.")
    try:
        services.discard_draft(reviewer=request.user, review=review)
    except ServiceError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, "Draft discarded.")
    return redirect("reviews:queue")


@login_required
def apply(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ApplicationForm(request.POST or None, initial={"affiliation": request.user.affiliation})
    if request.method == "POST" and form.is_valid():
        try:
            services.apply_to_review(user=request.user, **form.cleaned_data)
        except services.NotAllowed as err:
            return _forbidden(request, err.message)
        except ServiceError as err:
            form.add_error(err.field if err.field in form.fields else None, err.message)
        else:
            messages.success(request, "Application sent. A curator will review it.")
            return redirect("reviews:queue")
    return render(request, "reviews/apply.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def profile(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not request.user.is_reviewer:
        return _forbidden(request, "Only reviewers have a reviewer profile.", apply_link=True)
    current = services.ensure_profile(request.user)
    form = ProfileForm(request.POST or None, initial={"use_pseudonym": current.use_pseudonym,
                                                      "affiliation": current.affiliation,
                                                      "conflicts": "\n".join(current.conflicts)})
    if request.method == "POST" and form.is_valid():
        try:
            services.update_reviewer_profile(user=request.user, **form.cleaned_data)
        except ServiceError as err:
            form.add_error(err.field if err.field in form.fields else None, err.message)
        else:
            messages.success(request, "Profile saved.")
            return redirect("reviews:profile")
    return render(request, "reviews/profile.html", {"form": form, "profile": current},
                  status=400 if form.errors else 200)


# --- reading reviews (blind rule) --------------------------------------------------------------------


def interview_reviews(request: HttpRequest, pk: int) -> HttpResponse:
    interview = get_viewable_interview(request.user, pk)
    open_ = selectors.can_see_reviews(request.user, interview)
    reviews: list[dict[str, Any]] = []
    if open_:
        for review in selectors.visible_reviews(request.user).filter(interview=interview).order_by("kind", "submitted_at", "id"):
            if review.current_revision is None:
                continue  # visible reviews are submitted, so they have one
            revision = selectors.revision_detail(review.current_revision)
            reviews.append({"review": review, "revision": revision, "groups": _grouped_scores(revision),
                            "author": selectors.public_name(review)})
    own = selectors.own_review(request.user, interview) if request.user.is_authenticated else None
    return render(request, "reviews/interview_reviews.html", {
        "interview": interview, "open": open_, "reviews": reviews, "own": own,
        "matrix": _side_by_side(interview, reviews),
        "humans": [r for r in reviews if not r["review"].is_judge],
        "judges": [r for r in reviews if r["review"].is_judge], "flags": METHOD_FLAGS})


def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    review = selectors.get_visible_review(request.user, pk)
    history = []
    for revision in selectors.submitted_revisions(review):
        history.append({"revision": revision, "groups": _grouped_scores(revision)})
    return render(request, "reviews/review_detail.html", {
        "review": review, "history": history, "author": selectors.public_name(review) if review.status == "submitted"
        else "you (draft)", "flags": METHOD_FLAGS})


# --- metrics and rubrics ------------------------------------------------------------------------------


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
                return _forbidden(request, err.message)
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
    if denied := _curators_only(request):
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
    if denied := _curators_only(request):
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
    if denied := _curators_only(request):
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
        if request.user.is_authenticated and request.user.is_curator else []
    return render(request, "reviews/rubric_list.html", {"rubrics": rubrics, "studies": studies,
                                                        "default_target": conf.default_target_reviews()})


def rubric_detail(request: HttpRequest, slug: str) -> HttpResponse:
    rubric = selectors.get_rubric(slug)
    form = None
    if request.user.is_authenticated and request.user.is_curator:
        form = RubricVersionsForm(request.POST or None, rubric=rubric,
                                  initial={"versions": [v.pk for v in selectors.rubric_versions(rubric)]})
        if request.method == "POST" and form.is_valid():
            try:
                services.set_rubric_versions(actor=request.user, rubric=rubric,
                                             versions=list(form.cleaned_data["versions"]))
            except ServiceError as err:
                form.add_error("versions", err.message)
            else:
                messages.success(request, "Rubric updated.")
                return redirect(rubric)
    elif request.method == "POST":
        return _forbidden(request, "Only curators can change rubrics.")
    versions = selectors.rubric_versions(rubric)
    newer = {v.pk: v.metric.versions.filter(status=MetricVersion.Status.ADOPTED, number__gt=v.number).first()
             for v in versions}
    studies = Study.objects.filter(review_config__rubric=rubric)
    return render(request, "reviews/rubric_detail.html", {
        "rubric": rubric, "versions": [(v, newer[v.pk]) for v in versions], "form": form, "studies": studies},
        status=400 if form is not None and form.errors else 200)


# --- curation ------------------------------------------------------------------------------------------


@login_required
def applications(request: AuthenticatedHttpRequest) -> HttpResponse:
    if denied := _curators_only(request):
        return denied
    decided = ReviewerApplication.objects.exclude(status="pending").select_related("applicant", "decided_by")[:50]
    return render(request, "reviews/applications.html", {"pending": selectors.pending_applications(),
                                                         "decided": decided, "form": DecisionForm()})


@login_required
@require_POST
def decide(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    if denied := _curators_only(request):
        return denied
    application = get_object_or_404(ReviewerApplication, pk=pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose approve or decline.")
        return redirect("reviews:applications")
    try:
        services.decide_application(actor=request.user, application=application,
                                    approve=form.cleaned_data["decision"] == "approve", note=form.cleaned_data["note"])
    except services.NotAllowed as err:
        return _forbidden(request, err.message)
    except ServiceError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, f"Application from {application.applicant} {form.cleaned_data['decision']}d.")
    return redirect("reviews:applications")


@login_required
def curate_interview(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Curators see who holds each review place (never what they wrote) and assign reviewers."""
    interview = get_viewable_interview(request.user, pk)
    if denied := _curators_only(request):
        return denied
    form = AssignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.assign_reviewer(actor=request.user, interview=interview, reviewer=form.cleaned_data["reviewer"],
                                     due_at=form.cleaned_data["due_at"])
        except ServiceError as err:
            form.add_error(err.field if err.field in form.fields else None, err.message)
        else:
            messages.success(request, "Reviewer assigned.")
            return redirect("reviews:curate_interview", pk=interview.pk)
    return render(request, "reviews/curate_interview.html", {
        "interview": interview, "form": form, **selectors.slot_summary_for(request.user, interview),
        "rubric": selectors.rubric_for(interview)}, status=400 if form.errors else 200)


@login_required
def study_review(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    if denied := _curators_only(request):
        return denied
    study = get_object_or_404(Study, slug=slug)
    config = selectors.study_config(study)
    form = StudyReviewForm(request.POST or None, initial={
        "rubric": config.rubric if config else None,
        "target_reviews": config.target_reviews if config else conf.default_target_reviews()})
    if request.method == "POST" and form.is_valid():
        try:
            services.configure_study_review(actor=request.user, study=study, rubric=form.cleaned_data["rubric"],
                                            target_reviews=form.cleaned_data["target_reviews"])
        except ServiceError as err:
            form.add_error(err.field if err.field in form.fields else None, err.message)
        else:
            messages.success(request, "Review settings saved.")
            return redirect("reviews:study_review", slug=study.slug)
    counts = study.interviews.aggregate(total=Count("id"), reviewed=Count("id", filter=Q(status="reviewed")))
    return render(request, "reviews/study_review.html", {"study": study, "form": form, "counts": counts},
                  status=400 if form.errors else 200)


def interview_original(request: HttpRequest, pk: int) -> HttpResponse:
    """The upload exactly as received, as a download (never rendered as a page)."""
    interview = get_viewable_interview(request.user, pk)
    if interview.source_scores and not selectors.can_see_source_scores(request.user, interview):
        # The file carries the source's own scores (a judge's, a scorer's): blind like any review.
        return HttpResponseForbidden(
            "The original upload contains the source's own scores of this interview, which stay hidden until its "
            "reviews are public (or you have submitted your review). The parsed transcript is on the interview page.",
            content_type="text/plain; charset=utf-8")
    response = HttpResponse(interview.original, content_type="text/plain; charset=utf-8")
    name = (interview.source_filename or f"interview-{interview.pk}.txt").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    response["Content-Disposition"] = f'attachment; filename="{re.sub(r"[^A-Za-z0-9._-]", "_", name)}"'
    return response
