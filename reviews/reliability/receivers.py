"""What reliability does with news from below: recompute the agreement an event can change.

Scores changed (a review submitted or revised, a judge import) arrive as `reviews.signals`; an
interview joining or leaving the public set by any path (the withdraw service, a curator in the
admin, a review making it "reviewed") arrives as the Interview save; a study publishing its judge
scores (or hiding them again) as the Study save. Scheduling twice is coalesced
and unchanged inputs write nothing.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from commons.models import Interview, Study
from commons.selectors import save_may_change_listing
from reviews import signals
from reviews.models import Review
from reviews.reliability.services import (
    schedule_recompute,
    schedule_recompute_for_interview,
    schedule_recompute_for_review,
    schedule_recompute_for_study,
)


@receiver(signals.review_submitted, dispatch_uid="reliability_review_submitted")
def _review_submitted(sender: type, review: Review, **kwargs: Any) -> None:
    schedule_recompute_for_review(review)


@receiver(signals.judge_scores_imported, dispatch_uid="reliability_judge_scores_imported")
def _judge_scores_imported(sender: type, metric_version_ids: set[int], **kwargs: Any) -> None:
    schedule_recompute(metric_version_ids)


@receiver(post_save, sender=Interview, dispatch_uid="reliability_interview_saved")
def _interview_saved(sender: type, instance: Interview, created: bool, **kwargs: Any) -> None:
    if created or kwargs.get("raw"):
        return  # a new interview has no reviews yet; fixtures load raw
    if save_may_change_listing(kwargs.get("update_fields")):
        schedule_recompute_for_interview(instance)


@receiver(post_save, sender=Study, dispatch_uid="reliability_study_saved")
def _study_saved(sender: type, instance: Study, created: bool, **kwargs: Any) -> None:
    fields = kwargs.get("update_fields")
    if not created and not kwargs.get("raw") and (fields is None or "judge_scores_public" in fields):
        schedule_recompute_for_study(instance)  # whose judge values count publicly changed
