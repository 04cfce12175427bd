"""The reviewer's side: queue, claiming and releasing places, the review workspace, applying, profile."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from commons.http import AuthenticatedHttpRequest
from commons.models import Interview, User
from commons.redaction import mask_for
from commons.selectors import get_viewable_interview
from commons.services import ServiceError
from reviews import selectors, services
from reviews.forms import ApplicationForm, ProfileForm, ReviewForm
from reviews.models import Assignment, Review

from reviews.views.access import forbidden


def _crlf_positions(text: str) -> list[int]:
    """Where, in the text as a browser shows it (CR LF → LF), a CR was dropped — so offsets map back."""
    positions, dropped = [], 0
    start = text.find("\r\n")
    while start >= 0:
        positions.append(start - dropped)
        dropped += 1
        start = text.find("\r\n", start + 2)
    return positions


def transcript_for_review(interview: Interview, user: User) -> list[dict]:
    """Turns with each text block's code-point offset in `Turn.text`, for selecting evidence spans. Redacted
    turns go through commons.redaction like everywhere: a reviewer with a place reads them, marked."""
    mask = mask_for(user, interview)
    turns = []
    for turn in selectors.transcript_turns(interview):
        offset = 0
        blocks = []
        for block in mask.blocks(turn.index, turn.blocks):
            if block.get("type") == "text":
                text = str(block.get("text", ""))
                blocks.append({**block, "offset": offset, "crlf": ",".join(map(str, _crlf_positions(text)))})
                offset += len(text) + 2
            else:
                blocks.append(block)
        turns.append({"index": turn.index, "role": turn.role, "participant": turn.participant, "blocks": blocks,
                      "parent_index": turn.parent.index if turn.parent is not None else None, "starts_over": turn.starts_over,
                      "redaction": mask.mark(turn.index)})
    return turns


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
        return forbidden(request, "Only approved reviewers can claim interviews.", apply_link=True)
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
        return forbidden(request, "Only approved reviewers can review interviews.", apply_link=True)
    reason = selectors.conflict_reason(user, interview)
    if reason:
        return forbidden(request, reason)
    review = selectors.own_review(user, interview)
    slot = selectors.held_assignment(user, interview)
    if review is None and slot is None:
        return forbidden(request, "Claim this interview from your review queue (or be assigned it) to review it.")
    versions = selectors.rubric_versions(selectors.rubric_for(interview), scored_only=True)
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
        "interview": interview, "turns": transcript_for_review(interview, user), "form": form, "review": review,
        "draft": draft, "slot": slot, "versions": versions, "rubric": selectors.rubric_for(interview),
        "revising": review is not None and review.status == Review.Status.SUBMITTED,
        "metric_options": [{"id": str(v.pk), "name": v.name} for v in versions],
        # Reviewers must know when the judges' values are already out: they are no longer blind to them.
        "judge_scores_published": (interview.status != Interview.Status.REVIEWED
                                   and selectors.judge_scores_are_public(interview)),
    }
    return render(request, "reviews/workspace.html", context, status=status)


@login_required
@require_POST
def discard(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    interview = get_viewable_interview(request.user, pk)
    review = selectors.own_review(request.user, interview)
    if review is None:
        return forbidden(request, "You have no review of this interview.")
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
            return forbidden(request, err.message)
        except ServiceError as err:
            form.add_error(err.field if err.field in form.fields else None, err.message)
        else:
            messages.success(request, "Application sent. A curator will review it.")
            return redirect("reviews:queue")
    return render(request, "reviews/apply.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def profile(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not request.user.is_reviewer:
        return forbidden(request, "Only reviewers have a reviewer profile.", apply_link=True)
    current = services.ensure_profile(request.user)
    form = ProfileForm(request.POST or None, initial={"use_pseudonym": request.user.use_pseudonym,
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
