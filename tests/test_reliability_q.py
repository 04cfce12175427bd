"""Krippendorff's q beside every alpha (the bootstrap probability that alpha is below .667 and .800) and the
small-sample mark (fewer than 30 pairable units)."""

from __future__ import annotations

import krippendorff  # GPL: test-only reference
import numpy as np
import pytest
from rest_framework.test import APIClient

from reviews.agreement import Ratings, bootstrap_replicates, pairable_units, percentile_interval, probability_below
from reviews.reliability.models import AgreementResult


def _design(seed: int, units: int = 25, raters: int = 3) -> tuple[list, list, list]:
    """Raters who agree roughly: a shared true score per unit plus rater noise, some values missing."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 6, units)
    triples = [(u, r, float(np.clip(truth[u] + rng.integers(-1, 2), 0, 5)))
               for u in range(units) for r in range(raters) if rng.random() > 0.15]
    return [t[0] for t in triples], [t[1] for t in triples], [t[2] for t in triples]


@pytest.mark.no_django
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_q_is_the_share_of_resamples_whose_alpha_the_krippendorff_package_puts_below_the_threshold(seed):
    units, raters, values = _design(seed)
    ratings = Ratings.from_triples(units, raters, values, level="interval")
    order = pairable_units(ratings)
    draws = np.random.default_rng(seed + 100).integers(0, len(order), size=(300, len(order)))
    replicates = bootstrap_replicates(ratings, unit_draws=draws)
    table = {(u, r): v for u, r, v in zip(units, raters, values, strict=True)}
    reference = []
    for row in draws:  # each resample as a raters × drawn-units matrix, alpha by the reference package
        matrix = [[table.get((order[k], r), np.nan) for k in row] for r in sorted(set(raters))]
        reference.append(krippendorff.alpha(reliability_data=matrix, level_of_measurement="interval"))
    reference = np.asarray(reference)
    assert replicates.alpha == pytest.approx(reference, abs=1e-9)
    for threshold in (0.667, 0.800):
        assert probability_below(replicates, threshold) == np.mean(reference < threshold)
    low, high = np.quantile(reference, [0.025, 0.975])
    assert percentile_interval(replicates) == pytest.approx((low, high, 300))


@pytest.mark.no_django
def test_q_without_defined_replicates_is_none():
    ratings = Ratings.from_triples([1, 1], ["a", "b"], [2.0, 2.0], level="interval")  # no variation: undefined
    replicates = bootstrap_replicates(ratings, n_replicates=20, seed=1)
    assert probability_below(replicates, 0.667) is None


@pytest.mark.django_db
def test_every_stored_alpha_has_q_and_the_pages_and_api_show_it(client, computed):
    world, _, _ = computed
    results = list(AgreementResult.objects.filter(metric_version=world.interval, audience="public"))
    defined = [r for r in results if r.alpha is not None and r.bootstrap_replicates]
    assert defined
    for r in defined:
        assert 0.0 <= r.q_below_667 <= r.q_below_800 <= 1.0  # below .667 implies below .800
    for r in results:
        if r.alpha is None:
            assert r.q_below_667 is None and r.q_below_800 is None
    headline = next(r for r in defined if r.slice_type == "all")
    assert headline.small_sample == (headline.n_units < 30)
    html = client.get("/agreement/").content.decode()
    assert f"q(α&lt;.667) {headline.q_below_667:.2f} · q(α&lt;.800) {headline.q_below_800:.2f}" in html  # escaped <
    assert "small sample" in html  # the test world has a handful of interviews per slice
    detail = client.get(f"/agreement/results/{headline.pk}/").content.decode()
    assert "Krippendorff's q" in detail and "fewer than 30 pairable interviews" in detail
    api = APIClient().get("/api/v1/agreement/").json()
    rows = api["results"] if isinstance(api, dict) and "results" in api else api
    row = next(x for x in rows if x["id"] == headline.pk)
    assert (row["q_below_667"], row["q_below_800"], row["small_sample"]) == (
        headline.q_below_667, headline.q_below_800, True)
