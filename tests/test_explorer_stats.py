"""Cell statistics (pure numpy): against direct computations and the plain resampling bootstrap."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reviews.explorer.stats import EMPTY, histogram, rank_descending, seed_for, summarize


pytestmark = pytest.mark.no_django  # nothing here touches Django


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=20), min_size=1, max_size=80))
def test_mean_quantiles_and_spread_match_numpy(raw):
    data = np.asarray(raw, dtype=float) / 2
    values, counts = histogram(data)
    stats = summarize(values, counts, seed=1)
    assert stats.n == data.size
    assert stats.mean == pytest.approx(data.mean())
    assert [stats.q1, stats.median, stats.q3] == pytest.approx(np.quantile(data, [0.25, 0.5, 0.75]).tolist())
    assert (stats.minimum, stats.maximum) == (data.min(), data.max())
    if data.size > 1:
        assert stats.sd == pytest.approx(data.std(ddof=1))
        assert stats.ci_low <= stats.mean + 1e-12 and stats.mean - 1e-12 <= stats.ci_high
    iqr = stats.q3 - stats.q1
    inside = data[(data >= stats.q1 - 1.5 * iqr) & (data <= stats.q3 + 1.5 * iqr)]
    assert (stats.whisker_low, stats.whisker_high) == (inside.min(), inside.max())


def test_interval_is_reproducible_and_order_free():
    values, counts = [1.0, 2.5, 4.0, 5.0], [3, 10, 6, 1]
    first = summarize(values, counts, seed=seed_for("cell"))
    assert summarize(values, counts, seed=seed_for("cell")) == first
    assert summarize(values[::-1], counts[::-1], seed=seed_for("cell")) == first
    assert summarize([1.0, 1.0, 2.5, 4.0, 5.0], [1, 2, 10, 6, 1], seed=seed_for("cell")) == first
    assert summarize(values, counts, seed=seed_for("other")) != first


@pytest.mark.parametrize("n", [40, 5000])
def test_bootstrap_matches_plain_resampling(n):
    """Both sampling paths (indices for small cells, multinomial counts for large) give the ordinary bootstrap."""
    rng = np.random.default_rng(7)
    data = rng.choice([0.0, 1.0, 2.5, 3.0, 4.5, 5.0], size=n, p=[0.1, 0.2, 0.3, 0.2, 0.15, 0.05])
    values, counts = histogram(data)
    stats = summarize(values, counts, seed=3, replicates=4000)
    plain = np.quantile(data[rng.integers(0, n, size=(4000, n))].mean(axis=1), [0.025, 0.975])
    width = plain[1] - plain[0]
    assert stats.ci_low == pytest.approx(plain[0], abs=0.08 * width)
    assert stats.ci_high == pytest.approx(plain[1], abs=0.08 * width)
    normal = 1.96 * data.std(ddof=1) / np.sqrt(n)
    assert (stats.ci_high - stats.ci_low) == pytest.approx(2 * normal, rel=0.12)


def test_degenerate_cells():
    assert summarize([], [], seed=1) == EMPTY
    assert summarize([3.0], [0], seed=1) == EMPTY
    one = summarize([3.0], [1], seed=1)
    assert (one.n, one.mean, one.ci_low, one.ci_high, one.sd) == (1, 3.0, None, None, None)
    same = summarize([3.0], [9], seed=1)
    assert (same.ci_low, same.ci_high) == (3.0, 3.0)
    with pytest.raises(ValueError):
        summarize([1.0, float("nan")], [1, 1], seed=1)
    with pytest.raises(ValueError):
        summarize([1.0], [1, 2], seed=1)
    values, counts = histogram([1.0, float("nan"), 1.0])
    assert values.tolist() == [1.0] and counts.tolist() == [2]


@pytest.mark.parametrize("values", [
    [3.6999999999999997, 3.7000000000000006],  # float noise from SQL averages (seen on the real corpus)
    [1e6 + 0.1, 1e6 + 0.1000000001],
    [0.30000000000000004, 0.3, 0.30000000000000004],
])
def test_values_apart_only_by_rounding_keep_their_whiskers(values):
    stats = summarize(values, [1] * len(values), seed=3)
    assert stats.minimum <= stats.whisker_low <= stats.whisker_high <= stats.maximum
    assert stats.mean == pytest.approx(np.mean(values))


def test_ranks():
    assert rank_descending([2.0, None, 3.5, 2.0, 1.0]) == [2, None, 1, 2, 4]
    assert rank_descending([]) == []
