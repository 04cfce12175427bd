"""The builders in tests/factories.py make what the product makes."""

from __future__ import annotations

from reviews.models import Review
from tests.factories import AgreementWorld


def test_world_reviews_go_through_the_review_services(agreement_world: AgreementWorld) -> None:
    interview = agreement_world.interview()
    review = agreement_world.review(0, interview, {"warmth": 4, "candour": "low", "stance": "engages"})
    assert review.status == Review.Status.SUBMITTED
    assert review.current_revision.scores.count() == 3
