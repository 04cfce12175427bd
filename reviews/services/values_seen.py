"""Who has seen reviewers' values of an interview still in review (`ValuesSeen`).

The curator pages show reviewers' values only for interviews whose reviews are public (the
adjudication list lists reviewed interviews only). Where a page still shows them for an interview
in review (the staff admin's per-interview disagreement rows), it records the viewer here, and the
queue and assignment services refuse that viewer a place on the interview (`reviews.selectors.
has_seen_values`): someone who knows the others' values cannot give a blind one.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone

from commons.models import Interview, User
from reviews import selectors
from reviews.models import ValuesSeen


def record_values_seen(*, user: User, interview_ids: Iterable[int], where: str) -> int:
    """Record that `user` was shown reviewers' values of these interviews; only those still open to review
    count (a reviewed interview takes no new reviewer). Returns how many interviews were newly recorded."""
    open_ids = list(Interview.objects.filter(pk__in=set(interview_ids), status__in=selectors.REVIEWABLE)
                    .values_list("pk", flat=True))
    if not open_ids or not user.is_authenticated:
        return 0
    known = set(ValuesSeen.objects.filter(user=user, interview_id__in=open_ids).values_list("interview_id", flat=True))
    now = timezone.now()
    new = [ValuesSeen(user=user, interview_id=pk, first_seen_at=now, where=where[:120])
           for pk in open_ids if pk not in known]
    ValuesSeen.objects.bulk_create(new, ignore_conflicts=True)  # a concurrent page view may record it first
    return len(new)
