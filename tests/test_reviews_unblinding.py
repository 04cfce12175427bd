"""When a reviewer could first see the others' reviews (`Review.unblinded_at`), and what that does to agreement:
headline alpha reads each reviewer's blind value, revisions after unblinding are marked and counted post-discussion."""

from __future__ import annotations

import krippendorff
import numpy as np
import pytest
from django.test import Client
from rest_framework.test import APIClient

from commons.models import Interview
from reviews.models import Review
from reviews.reliability import services as reliability_services
from reviews.reliability.models import AgreementResult
from tests import factories

pytestmark = pytest.mark.django_db

BADGE = ">after unblinding</span>"


def scores(warmth: float) -> dict:
    return {"warmth": warmth, "candour": "low", "stance": "engages"}


def fresh(review: Review) -> Review:
    return Review.objects.get(pk=review.pk)


def test_others_become_visible_at_the_later_of_own_and_their_submission_and_the_moment_never_moves(
        agreement_world) -> None:
    world = agreement_world
    interview = world.interview()
    a = world.review(0, interview, scores(2))
    assert fresh(a).unblinded_at is None  # nobody else has submitted: nothing to see
    b = world.review(1, interview, scores(3))
    b = fresh(b)
    assert b.unblinded_at == b.submitted_at  # b's submission shows b the review of a; b's revision is still blind
    assert fresh(a).unblinded_at == b.submitted_at  # and shows a the review of b
    seen = fresh(a).unblinded_at

    world.review(0, interview, scores(8))  # a revises, having seen b's review
    revisions = list(fresh(a).revisions.order_by("number"))
    assert [r.after_unblinding for r in revisions] == [False, True]
    world.review(2, interview, scores(4))  # the third review: the interview is reviewed (public)
    world.judge_review(factories.judge("Judge U"), interview, 0, scores(5))
    world.review(0, interview, scores(7))
    assert fresh(a).unblinded_at == seen
    assert Interview.objects.get(pk=interview.pk).status == Interview.Status.REVIEWED


def test_a_judge_review_imported_later_unblinds_those_who_had_submitted(agreement_world) -> None:
    world = agreement_world
    interview = world.interview()
    a = world.review(0, interview, scores(2))
    judged = world.judge_review(factories.judge("Judge V"), interview, 0, scores(5))
    assert fresh(a).unblinded_at == fresh(judged).submitted_at
    assert fresh(judged).unblinded_at is None  # judges read no other review


def test_the_history_marks_revisions_after_unblinding(agreement_world, api_client_for) -> None:
    world = agreement_world
    interview = world.interview()
    a = world.review(0, interview, scores(2))
    client = Client()
    client.force_login(world.reviewer(0))
    world.review(0, interview, scores(2.5))  # revised while still alone: blind
    assert BADGE not in client.get(f"/reviews/{a.pk}/").content.decode()
    world.review(1, interview, scores(3))
    world.review(0, interview, scores(9))
    page = client.get(f"/reviews/{a.pk}/").content.decode()
    assert page.count(BADGE) == 1 and "post-discussion" in page
    listed = api_client_for(world.reviewer(0)).get(f"/api/v1/reviews/{a.pk}/revisions/").json()
    assert [(r["number"], r["after_unblinding"]) for r in listed] == [(3, True), (2, False), (1, False)]


def alpha(columns: list[list[float]]) -> float:
    """Krippendorff's alpha (interval) from the package; columns are interviews, rows raters."""
    return float(krippendorff.alpha(reliability_data=np.array(columns, dtype=float).T,
                                    level_of_measurement="interval"))


def test_headline_alpha_reads_blind_values_and_post_discussion_the_newest(agreement_world) -> None:
    world = agreement_world
    blind = [[2, 3, 2.5], [7, 8, 6], [1, 1.5, 4], [5, 9, 6]]
    made = [world.interview() for _ in blind]
    with reliability_services.deferred_recompute():
        for interview, values in zip(made, blind, strict=True):
            for i, value in enumerate(values):
                world.review(i, interview, scores(value))
        # After seeing the others, two reviewers move towards them: agreement rises, but only post-discussion.
        world.review(2, made[2], scores(1))
        world.review(1, made[3], scores(5.5))
    newest = [row[:] for row in blind]
    newest[2][2], newest[3][1] = 1, 5.5
    reliability_services.recompute_metric_version(metric_version_id=world.interval.pk)
    result = AgreementResult.objects.get(metric_version=world.interval, audience="public", slice_type="all")
    assert result.alpha == pytest.approx(alpha(blind), abs=1e-9)
    assert result.post_discussion_alpha == pytest.approx(alpha(newest), abs=1e-9)
    assert result.post_discussion_alpha > result.alpha
    assert result.values_revised_after_unblinding == 2
    assert (result.post_discussion_n_units, result.post_discussion_n_pairable_values) == (4, 12)

    page = Client().get(f"/agreement/results/{result.pk}/").content.decode()
    assert f"α = {result.alpha:.3f}" in page
    assert "Post-discussion" in page and f"α = {result.post_discussion_alpha:.3f}" in page
    assert "2 values revised after the reviewer could see the other reviews" in page
    api = APIClient().get(f"/api/v1/agreement/{result.pk}/").json()
    assert api["alpha"] == pytest.approx(alpha(blind), abs=1e-9)
    assert api["post_discussion_alpha"] == pytest.approx(alpha(newest), abs=1e-9)
    assert api["values_revised_after_unblinding"] == 2
