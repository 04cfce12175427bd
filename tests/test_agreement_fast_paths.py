"""The recompute's fast paths against the `krippendorff` package, resample by resample and rater by rater.

The bootstrap tallies draws per kind of unit (units with the same value counts) where the counts pack into one
key, and per unit otherwise; leave-one-rater-out patches alpha without a loop over the rater's units (a number per
rating outside the ordinal level, a coincidence change per kind of unit at it). Both must give, to 1e-9, what the
package gives on the resampled units and on the data without the rater — including units that stop being pairable.
"""

from __future__ import annotations

import krippendorff  # GPL: test-only reference
import numpy as np
import pytest

from reviews.agreement import LEVELS, Ratings, bootstrap_replicates, pairable_units, rater_agreement

pytestmark = pytest.mark.no_django


def _design(seed: int, *, n_values: int, units: int = 40, raters: int = 4) -> tuple[list, list, list]:
    """A true score per unit plus rater noise; many units rated twice, some once, values from 1 to n_values."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(1, n_values + 1, units)
    triples = []
    for u in range(units):
        for r in rng.choice(raters, size=int(rng.integers(1, raters + 1)), replace=False).tolist():
            value = int(np.clip(truth[u] + rng.integers(-2, 3), 1, n_values))
            triples.append((u, f"rater {r}", float(value)))
    return [t[0] for t in triples], [t[1] for t in triples], [t[2] for t in triples]


def _matrix(table: dict, raters: list, columns: list) -> list[list[float]]:
    return [[table.get((u, r), np.nan) for u in columns] for r in raters]


CASES = [(level, n_values, seed) for level in LEVELS for n_values in (4, 60) for seed in (1, 2)]


@pytest.mark.parametrize(("level", "n_values", "seed"), CASES)
def test_bootstrap_replicates_equal_the_package_on_each_resample(level: str, n_values: int, seed: int) -> None:
    units, raters, values = _design(seed, n_values=n_values)
    ratings = Ratings.from_triples(units, raters, values, level=level)  # type: ignore[arg-type]
    order = pairable_units(ratings)
    draws = np.random.default_rng(seed + 100).integers(0, len(order), size=(120, len(order)))
    replicates = bootstrap_replicates(ratings, unit_draws=draws)
    table = {(u, r): v for u, r, v in zip(units, raters, values, strict=True)}
    names = sorted(set(raters))
    reference = []
    for row in draws:
        matrix = _matrix(table, names, [order[k] for k in row])
        try:
            reference.append(krippendorff.alpha(reliability_data=matrix, level_of_measurement=level))
        except ValueError:  # the package refuses a resample with one value: undefined here too
            reference.append(np.nan)
    reference = np.asarray(reference, dtype=float)
    defined = ~np.isnan(reference) & np.isfinite(reference)
    assert np.array_equal(replicates.defined, defined)
    assert replicates.alpha[defined] == pytest.approx(reference[defined], abs=1e-9)
    # And the seeded draws are the ones `unit_draws` describes (the kinds change the sums, not the draws).
    seeded = bootstrap_replicates(ratings, n_replicates=50, seed=seed)
    explicit = bootstrap_replicates(ratings, unit_draws=np.random.default_rng(seed).integers(0, len(order),
                                                                                            size=(50, len(order))))
    assert seeded.alpha == pytest.approx(explicit.alpha, abs=1e-12, nan_ok=True)


@pytest.mark.parametrize(("level", "n_values", "seed"), CASES)
def test_alpha_without_each_rater_equals_the_package_without_that_rater(level: str, n_values: int, seed: int) -> None:
    units, raters, values = _design(seed, n_values=n_values)
    ratings = Ratings.from_triples(units, raters, values, level=level)  # type: ignore[arg-type]
    table = {(u, r): v for u, r, v in zip(units, raters, values, strict=True)}
    names = sorted(set(raters))
    for row in rater_agreement(ratings):
        others = [r for r in names if r != row.rater_id]
        matrix = np.asarray(_matrix(table, others, sorted(set(units))))
        pairable = int(np.count_nonzero((~np.isnan(matrix)).sum(axis=0) >= 2))
        assert row.alpha_without.n_units == pairable
        expected = krippendorff.alpha(reliability_data=matrix, level_of_measurement=level)
        assert row.alpha_without.alpha == pytest.approx(expected, abs=1e-9)
