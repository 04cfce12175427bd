"""Curation: reviewer applications, assigning reviewers to an interview, a study's review settings."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from commons.http import AuthenticatedHttpRequest
from commons.models import Study
from commons.selectors import get_viewable_interview
from commons.services import ServiceError
from reviews import conf, selectors, services
from reviews.forms import AssignForm, DecisionForm, StudyReviewForm
from reviews.models import ReviewerApplication

from reviews.views.access import curators_only, forbidden


@login_required
def applications(request: AuthenticatedHttpRequest) -> HttpResponse:
    if denied := curators_only(request):
        return denied
    decided = ReviewerApplication.objects.exclude(status="pending").select_related("applicant", "decided_by")[:50]
    return render(request, "reviews/applications.html", {"pending": selectors.pending_applications(),
                                                         "decided": decided, "form": DecisionForm()})


@login_required
@require_POST
def decide(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    if denied := curators_only(request):
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
        return forbidden(request, err.message)
    except ServiceError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, f"Application from {application.applicant} {form.cleaned_data['decision']}d.")
    return redirect("reviews:applications")


@login_required
def curate_interview(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Curators see who holds each review place (never what they wrote) and assign reviewers."""
    interview = get_viewable_interview(request.user, pk)
    if denied := curators_only(request):
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
    if denied := curators_only(request):
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
