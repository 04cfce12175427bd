"""Which ratings public agreement counts: judge reviews of any listed interview, human reviews only once
the interview is reviewed (the blind rule), nothing from researchers-only interviews."""

from __future__ import annotations

import pytest

from reviews.reliability import services
from reviews.reliability.models import AgreementResult
from tests import factories

pytestmark = pytest.mark.django_db


def public_units(version, slice_type: str, slice_value: str = "") -> int:
    result = AgreementResult.objects.filter(metric_version=version, audience="public", slice_type=slice_type,
                                            slice_value=slice_value).first()
    return result.n_units if result else 0


def test_judge_reviews_count_publicly_human_reviews_only_when_reviewed(curator, contributor):
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

    assert public_units(world.interval, "judge_replicates", f"{judge.pk}:p1") == 2  # not the researchers-only one
    assert public_units(world.interval, "reviewer_kind", "human") == 0
    internal = AgreementResult.objects.get(metric_version=world.interval, audience="internal",
                                           slice_type="reviewer_kind", slice_value="human")
    assert internal.n_units == 1
