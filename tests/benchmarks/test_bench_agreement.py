"""Agreement engine speed: ours against the `krippendorff` package in the same run.

Run with ``pytest -m benchmark tests/benchmarks/test_bench_agreement.py -s`` to see the table.
Targets (issue 4): >= 2x the package at 100,000 units x 5 raters, 30% missing, ordinal 0-10;
1,000,000 units in under 2 s and 500 MB; a 1,000-replicate bootstrap CI at 100,000 units in
under 5 s.
"""

from __future__ import annotations

import math
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import krippendorff  # GPL: test-only reference
import numpy as np
import pytest

from reviews.agreement import LEVELS, Ratings, alpha_from_matrix, bootstrap_ci, compute_alpha

pytestmark = [pytest.mark.benchmark, pytest.mark.no_django]  # nothing here touches Django

N_RATERS = 5
SCALE = 11  # ordinal 0-10
MISSING = 0.3
SEED = 20240601
TABLE_TITLE = "Agreement benchmark (5 raters, 30% missing, values 0-10, seeded)"
ROWS: list[tuple[str, str]] = []  # printed by tests/benchmarks/conftest.py


def ratings_matrix(n_units: int) -> np.ndarray:
    """Raters x units: a true score per unit plus rater noise, clipped to 0-10, 30% missing."""
    rng = np.random.default_rng(SEED)
    truth = rng.integers(0, SCALE, size=n_units)
    grid = np.clip(np.rint(truth + rng.normal(0.0, 1.5, size=(N_RATERS, n_units))), 0, SCALE - 1)
    grid[rng.random(grid.shape) < MISSING] = np.nan
    return grid


def best_time(run: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Fastest of ``repeat`` runs: the least disturbed by whatever else the machine is doing."""
    best, value = math.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        value = run()
        best = min(best, time.perf_counter() - start)
    return best, value


def race(ours: Callable[[], Any], theirs: Callable[[], Any], rounds: int) -> tuple[float, Any, float, Any]:
    """Best times of two functions run alternately, so background load hits both alike."""
    ours_best = theirs_best = math.inf
    ours_value = theirs_value = None
    for _ in range(rounds):
        seconds, ours_value = best_time(ours, 3)
        ours_best = min(ours_best, seconds)
        seconds, theirs_value = best_time(theirs, 1)
        theirs_best = min(theirs_best, seconds)
    return ours_best, ours_value, theirs_best, theirs_value


@pytest.mark.parametrize("level", LEVELS)
def test_faster_than_the_package_at_100k_units(level: str) -> None:
    matrix = ratings_matrix(100_000)
    ours_seconds, ours, reference_seconds, reference = race(
        lambda: alpha_from_matrix(matrix, level=level),
        lambda: krippendorff.alpha(reliability_data=matrix, level_of_measurement=level),
        rounds=3,
    )
    assert math.isclose(ours.alpha, float(reference), rel_tol=1e-9, abs_tol=1e-9)
    ratio = reference_seconds / ours_seconds
    ROWS.append((f"100k units, {level}: ours vs krippendorff",
                 f"{ours_seconds:.3f} s vs {reference_seconds:.3f} s = {ratio:.1f}x faster (alpha {ours.alpha:.6f})"))
    assert ratio >= 2.0


def test_a_million_units_in_two_seconds_and_500_mb() -> None:
    matrix = ratings_matrix(1_000_000)
    seconds, result = best_time(lambda: alpha_from_matrix(matrix, level="ordinal"), repeat=3)
    # Memory in a separate run: tracing slows numpy down.
    tracemalloc.start()
    tracemalloc.reset_peak()
    alpha_from_matrix(matrix, level="ordinal")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    peak_mb = peak / 2**20
    ROWS.append(("1M units, ordinal: time, peak memory",
                 f"{seconds:.3f} s, {peak_mb:.0f} MB traced peak (input matrix {matrix.nbytes / 2**20:.0f} MB "
                 f"not counted), {result.n_pairable_values:,} pairable values"))
    assert result.alpha is not None
    assert seconds < 2.0
    assert peak_mb < 500


def test_bootstrap_of_a_thousand_replicates_at_100k_units() -> None:
    matrix = ratings_matrix(100_000)
    for level in ("ordinal", "interval"):
        ratings = Ratings.from_matrix(matrix, level=level)
        estimate = compute_alpha(ratings).alpha
        seconds, interval = best_time(lambda: bootstrap_ci(ratings, n_replicates=1000, seed=SEED), repeat=1)
        low, high, used = interval
        ROWS.append((f"100k units, {level}: 1,000-replicate bootstrap",
                     f"{seconds:.3f} s, 95% CI [{low:.4f}, {high:.4f}] around {estimate:.4f}, {used} used"))
        assert used == 1000
        assert low <= estimate <= high
        assert seconds < 5.0
