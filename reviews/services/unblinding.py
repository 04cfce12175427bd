"""When a reviewer first could see others' reviews of an interview (`Review.unblinded_at`).

The blind rule (`reviews.selectors.visible_reviews`) shows a reviewer the other reviews of an
interview once they have submitted their own, or once the interview is reviewed (public). So
another review becomes visible to a reviewer at the later of two moments: their own first
submission and that other review's submission. `unblinded_at` records the earliest such moment,
whether or not the reviewer then opened a page: what could be seen counts, so exposure is never
under-counted. It is set once, by a conditional UPDATE (`unblinded_at IS NULL`), and never moved.

A revision submitted at or before `unblinded_at` is blind; the last of them is the reviewer's blind
value, the one headline agreement reads (`reviews.selectors.blind_scores`). Later revisions are
kept and shown "after unblinding" and count only in the post-discussion figure. Model judges do
not read other reviews: theirs stays empty. Judge scores a study publishes are visible to everyone
from import; that exposure is marked on agreement results (`judge_scores_public_before_review`).
"""

from __future__ import annotations

from datetime import datetime

from commons.models import Interview
from reviews.models import Review


def record_unblinding(review: Review, now: datetime) -> None:
    """Call in the transaction that submitted `review` (or imported a judge's), at its submission moment `now`.

    Submissions of one interview hold its row lock (`submit_review`), so they record in turn.
    """
    others = Review.objects.filter(interview_id=review.interview_id, kind=Review.Kind.HUMAN,
                                   unblinded_at__isnull=True).exclude(pk=review.pk)
    if (review.kind == Review.Kind.HUMAN and review.unblinded_at is None
            and Review.objects.filter(interview_id=review.interview_id, status=Review.Status.SUBMITTED)
            .exclude(pk=review.pk).exists()):
        # Their submission opens the others' reviews to them: the submitted revision itself is still blind.
        Review.objects.filter(pk=review.pk, unblinded_at__isnull=True).update(unblinded_at=now)
        review.unblinded_at = now
    reviewed = Interview.objects.filter(pk=review.interview_id, status=Interview.Status.REVIEWED).exists()
    if not reviewed:  # only those who have submitted see the new review
        others = others.filter(status=Review.Status.SUBMITTED)
    # Once reviewed, the reviews are public: a reviewer still drafting sees them too.
    others.update(unblinded_at=now)


def unblinded_at_creation(interview: Interview, now: datetime) -> datetime | None:
    """For a review created now: the interview's reviews are already public to its reviewer if it is reviewed."""
    return now if interview.status == Interview.Status.REVIEWED else None
