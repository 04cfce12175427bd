"""Degenerate and empty cases: undefined alpha with its reason, an empty page, bad filters.

Kept apart from the modules that share one computed corpus, so these start from an empty database.
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from reviews.reliability import services
from reviews.reliability.models import AgreementResult
from tests.factories import AgreementWorld

pytestmark = pytest.mark.django_db


def stored(version, audience: str, slice_type: str, slice_value: str = "") -> AgreementResult:
    return AgreementResult.objects.get(metric_version=version, audience=audience, slice_type=slice_type,
                                       slice_value=slice_value)


def test_degenerate_metrics_are_undefined_with_a_reason(agreement_world: AgreementWorld) -> None:
    interview = agreement_world.interview()
    agreement_world.review(0, interview, {"warmth": 5, "candour": "low"})
    agreement_world.review(1, interview, {"warmth": 5, "candour": None})
    other = agreement_world.interview(model="Model C")
    agreement_world.review(1, other, {"warmth": 5, "candour": "high"})
    for version in agreement_world.versions:
        services.recompute_metric_version(metric_version_id=version.pk)
    assert stored(agreement_world.interval, "internal", "all").undefined_reason == "no variation"
    assert stored(agreement_world.ordinal, "internal", "all").undefined_reason == "no pairable values"
    nominal = stored(agreement_world.nominal, "internal", "all")
    assert nominal.undefined_reason == "no ratings" and nominal.n_ratings == 0
    by_model = stored(agreement_world.ordinal, "internal", "target_model", str(other.target_model_id))
    assert by_model.undefined_reason == "one rater"
    # Nothing is public yet (no interview is reviewed): the public row exists and says so.
    public = stored(agreement_world.interval, "public", "all")
    assert public.alpha is None and public.undefined_reason == "no ratings"
    assert AgreementResult.objects.filter(alpha__isnull=True, undefined_reason="").count() == 0


def test_the_page_says_when_nothing_is_computed(client, db) -> None:
    html = client.get("/agreement/").content.decode()
    assert "No agreement to show yet" in html


def test_the_page_is_in_the_navigation(client, db) -> None:
    assert 'href="/agreement/">Agreement</a>' in client.get("/").content.decode()


def test_bad_api_filters_are_named(db) -> None:
    api = APIClient()
    response = api.get("/api/v1/agreement/?slice_type=everything&metric_version=x")
    assert response.status_code == 400
    assert set(response.json()) == {"slice_type", "metric_version"}
