"""HTML pages for peer review. Thin: parse with a form, call a service or selector, render.

Outsiders get 404 for anything they cannot see; signed-in users without the needed role get 403.
Review content is read only through the blind-rule selectors.

One module per side of the house; every page is importable from here (the URL confs use
``views.<page>``).
"""

from reviews.views.curation import applications, curate_interview, decide, study_review
from reviews.views.metrics import (
    metric_detail,
    metric_list,
    metric_new,
    metric_propose_version,
    metric_version_action,
    rubric_detail,
    rubric_list,
)
from reviews.views.reading import interview_original, interview_reviews, review_detail
from reviews.views.reviewing import apply, claim, discard, profile, queue, release, transcript_for_review, workspace

__all__ = [
    "applications",
    "apply",
    "claim",
    "curate_interview",
    "decide",
    "discard",
    "interview_original",
    "interview_reviews",
    "metric_detail",
    "metric_list",
    "metric_new",
    "metric_propose_version",
    "metric_version_action",
    "profile",
    "queue",
    "release",
    "review_detail",
    "rubric_detail",
    "rubric_list",
    "study_review",
    "transcript_for_review",
    "workspace",
]
