"""Reading reviews under the blind rule, and the original upload (which can carry the source's scores)."""

from __future__ import annotations

import re
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import render

from commons.curators import acts_as_curator
from commons.models import Interview
from commons.redaction import mask_for
from commons.selectors import get_viewable_interview
from reviews import selectors
from reviews.services.writing import METHOD_FLAGS


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


def interview_reviews(request: HttpRequest, pk: int) -> HttpResponse:
    interview = get_viewable_interview(request.user, pk)
    open_ = selectors.can_see_reviews(request.user, interview)
    judges_public = selectors.judge_scores_are_public(interview)
    reviews: list[dict[str, Any]] = []
    if open_ or judges_public:  # visible_reviews leaves the humans' out until they are open
        for review in selectors.visible_reviews(request.user).filter(interview=interview).order_by("kind", "submitted_at", "id"):
            if review.current_revision is None:
                continue  # visible reviews are submitted, so they have one
            revision = selectors.revision_detail(review.current_revision)
            reviews.append({"review": review, "revision": revision, "groups": _grouped_scores(revision),
                            "author": selectors.public_name(review)})
    own = selectors.own_review(request.user, interview) if request.user.is_authenticated else None
    return render(request, "reviews/interview_reviews.html", {
        "interview": interview, "open": open_, "judges_public": judges_public, "reviews": reviews, "own": own,
        "matrix": _side_by_side(interview, reviews),
        "humans": [r for r in reviews if not r["review"].is_judge],
        "judges": [r for r in reviews if r["review"].is_judge], "flags": METHOD_FLAGS,
        "mask": mask_for(request.user, interview)})


def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    review = selectors.get_visible_review(request.user, pk)
    history = []
    for revision in selectors.submitted_revisions(review):
        history.append({"revision": revision, "groups": _grouped_scores(revision)})
    return render(request, "reviews/review_detail.html", {
        "review": review, "history": history, "author": selectors.public_name(review) if review.status == "submitted"
        else "you (draft)", "flags": METHOD_FLAGS, "mask": mask_for(request.user, review.interview)})


def interview_original(request: HttpRequest, pk: int) -> HttpResponse:
    """The upload exactly as received, as a download (never rendered as a page)."""
    interview = get_viewable_interview(request.user, pk)
    if interview.redactions.exists() and not acts_as_curator(request):
        # The upload holds every turn verbatim; it cannot be redacted in its own format, so it is refused.
        return HttpResponseForbidden(
            "Part of this interview is redacted, and the original upload holds it verbatim: only curators "
            "(signed in with their second factor) can download it. The transcript is on the interview page.",
            content_type="text/plain; charset=utf-8")
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
