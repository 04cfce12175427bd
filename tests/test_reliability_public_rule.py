"""Which ratings public agreement counts: every review once a listed interview is reviewed (the blind rule);
before that judge reviews only where the study publishes its judge scores; nothing from researchers-only
interviews."""

from __future__ import annotations

import pytest

from commons import services as commons_services
from reviews.reliability import services
from reviews.reliability.models import AgreementResult
from tests import factories

pytestmark = pytest.mark.django_db


def public_units(version, slice_type: str, slice_value: str = "") -> int:
    result = AgreementResult.objects.filter(metric_version=version, audience="public", slice_type=slice_type,
                                            slice_value=slice_value).first()
    return result.n_units if result else 0


def test_reviews_of_either_kind_count_publicly_only_when_reviewed(curator, contributor):
    world = factories.make_world(curator, contributor)
    judge = factories.judge("Judge J")
    listed = [world.interview(), world.interview()]
    hidden = world.interview(visibility="researchers")
    for interview in listed + [hidden]:
        for replicate, value in enumerate((3, 4)):
            world.judge_review(judge, interview, replicate, {"warmth": value})
    # Two human reviews on a listed interview that has not reached its target of three: still blind.
    world.review(0, listed[0], {"warmth": 2})
    world.review(1, listed[0], {"warmth": 6})
    services.recompute_metric_version(metric_version_id=world.interval.pk, force=True)

    # the judge's values are as blind as the humans' while the interviews are in review (issue 10)
    assert public_units(world.interval, "judge_replicates", f"{judge.pk}:p1") == 0
    assert public_units(world.interval, "reviewer_kind", "human") == 0
    internal = AgreementResult.objects.get(metric_version=world.interval, audience="internal",
                                           slice_type="reviewer_kind", slice_value="human")
    assert internal.n_units == 1
    assert AgreementResult.objects.get(metric_version=world.interval, audience="internal",
                                       slice_type="judge_replicates", slice_value=f"{judge.pk}:p1").n_units == 3


def test_a_study_that_publishes_judge_scores_counts_them_and_marks_human_vs_judge(curator, contributor):
    world = factories.make_world(curator, contributor)
    judge = factories.judge("Judge J")
    listed = [world.interview(), world.interview()]
    hidden = world.interview(visibility="researchers")
    for interview in listed + [hidden]:
        for replicate, value in enumerate((3, 4)):
            world.judge_review(judge, interview, replicate, {"warmth": value})
    world.review(0, listed[0], {"warmth": 2})
    commons_services.set_judge_scores_public(study=world.study, public=True, actor=curator)
    services.recompute_metric_version(metric_version_id=world.interval.pk)

    assert public_units(world.interval, "judge_replicates", f"{judge.pk}:p1") == 2  # not the researchers-only one
    assert public_units(world.interval, "reviewer_kind", "human") == 0
    marked = {(t, v): flag for t, v, flag in AgreementResult.objects.filter(
        metric_version=world.interval, audience="internal").values_list(
        "slice_type", "slice_value", "judge_scores_public_before_review")}
    # internal: a human and the judge rated listed[0], whose judge scores were public during its review
    assert marked[("all", "")] is True and marked[("human_judge", "")] is True
    assert marked[("judge_replicates", f"{judge.pk}:p1")] is False and marked[("reviewer_kind", "human")] is False
    # public: the human review is still blind, so no public result sets humans beside the judge
    assert not AgreementResult.objects.filter(metric_version=world.interval, audience="public",
                                              judge_scores_public_before_review=True).exists()
