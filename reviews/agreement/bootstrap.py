"""Bootstrap intervals for alpha.

``bootstrap_ci`` resamples pairable units with replacement (a unit is an interview; resampling
units keeps its ratings together). Every replicate is a weighted sum of per-unit contributions,
with weight w_bu = how often unit u was drawn: margins W @ counts, observed-disagreement sums
W @ q with q_u = sum_{i != j in u} delta² / (m_u - 1). The ordinal metric depends on each
replicate's own margins; there D_o comes from the replicate's ranks r_b through
sum_ck o_ck (r_c - r_k)² = 2 sum_c n_c r_c² - 2 sum_u w_u ((n_u . r_b)² - n_u . r_b²) / (m_u - 1).
Replicates run in chunks of a (replicates x units) draw matrix; no Python loop over replicates. Units
with the same value counts contribute alike, so the weights are tallied per such kind of unit (a
handful on a small scale) rather than per unit: the same draws, far smaller products.
The interval is the percentile interval; replicates whose alpha is undefined are dropped and
counted. (This is a unit bootstrap, not the resampling of pairable values in Krippendorff's and
Hayes's KALPHA macro.)
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt

import reviews.agreement as package
from reviews.agreement.alpha import _count_raters, _count_table, _differences, _layout
from reviews.agreement.ratings import BoolArray, FloatArray, IntArray, Ratings


class BootstrapInterval(NamedTuple):
    low: float | None
    high: float | None
    n_replicates_used: int


class BootstrapReplicates(NamedTuple):
    """Alpha per replicate; NaN exactly where ``defined`` is False (those replicates are dropped)."""

    alpha: FloatArray
    defined: BoolArray


def bootstrap_replicates(
    ratings: Ratings,
    *,
    n_replicates: int = 1000,
    seed: int | None = None,
    unit_draws: npt.ArrayLike | None = None,
) -> BootstrapReplicates:
    """Alpha of ``n_replicates`` resamples of the pairable units.

    Draws come from ``numpy.random.default_rng(seed)``, or are given as ``unit_draws``, an
    integer array (replicates x pairable units) of row indices into ``pairable_units(ratings)``.
    The same seed, data and ``n_replicates`` always give the same replicates.
    """
    layout = _layout(ratings)
    n_units = int(layout.pairable.size)
    draws = None if unit_draws is None else np.asarray(unit_draws, dtype=np.intp)
    if draws is not None:
        if draws.ndim != 2 or draws.shape[1] != n_units or (draws.size and (draws.min() < 0 or draws.max() >= n_units)):
            raise ValueError(f"unit_draws must be (replicates x {n_units}) indices into the pairable units")
        n_replicates = draws.shape[0]
    elif seed is None:
        raise ValueError("give a seed (or explicit unit_draws) so the interval can be reproduced")
    alphas = np.full(n_replicates, np.nan)
    if n_units == 0 or _count_raters(ratings) < 2 or n_replicates == 0:
        return BootstrapReplicates(alphas, np.zeros(n_replicates, dtype=np.bool_))
    counts = _count_table(ratings, layout)
    # A replicate's alpha is linear in how often each *kind* of unit was drawn: units with the same value
    # counts contribute the same. Tallying draws per kind (usually tens, at most a few hundred on a small
    # scale) instead of per unit keeps the weight matrix and its products small; the draws are the same.
    kinds, kind_of_unit = _unit_kinds(counts)
    by_unit = kinds is counts  # every unit its own kind: the draws are the kinds already
    replicate = _ReplicateAlpha(ratings, kinds, kinds.sum(axis=1))
    rng = np.random.default_rng(seed)
    chunk = max(1, package._BOOTSTRAP_CELLS // n_units)
    for start in range(0, n_replicates, chunk):
        stop = min(start + chunk, n_replicates)
        rows = draws[start:stop] if draws is not None else rng.integers(0, n_units, size=(stop - start, n_units))
        drawn = rows if by_unit and draws is None else kind_of_unit[rows]  # `_draw_weights` writes into it
        alphas[start:stop] = replicate(_draw_weights(drawn, kinds.shape[0]))
    return BootstrapReplicates(alphas, ~np.isnan(alphas))


def bootstrap_ci(
    ratings: Ratings,
    *,
    n_replicates: int = 1000,
    seed: int | None = None,
    confidence: float = 0.95,
    unit_draws: npt.ArrayLike | None = None,
) -> BootstrapInterval:
    """Percentile bootstrap interval for alpha, resampling units; (None, None, 0) if undefined."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence}")
    replicates = bootstrap_replicates(ratings, n_replicates=n_replicates, seed=seed, unit_draws=unit_draws)
    return percentile_interval(replicates, confidence)


def percentile_interval(replicates: BootstrapReplicates, confidence: float = 0.95) -> BootstrapInterval:
    """The percentile interval of the defined replicates; (None, None, 0) if none is defined."""
    used = replicates.alpha[replicates.defined]
    if used.size == 0:
        return BootstrapInterval(None, None, 0)
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(used, [tail, 1.0 - tail])
    return BootstrapInterval(float(low), float(high), int(used.size))


def probability_below(replicates: BootstrapReplicates, threshold: float) -> float | None:
    """Krippendorff's q: the share of the defined bootstrap alphas below `threshold` (None if none is defined).

    Hayes & Krippendorff (2007) report it as the probability of failing to reach a minimum alpha;
    here it is read off the same unit bootstrap as the interval.
    """
    used = replicates.alpha[replicates.defined]
    if used.size == 0:
        return None
    return float(np.count_nonzero(used < threshold) / used.size)


def _unit_kinds(counts: FloatArray) -> tuple[FloatArray, IntArray]:
    """The distinct rows of `counts` and each unit's row among them; every unit its own kind where the counts
    cannot be packed into one integer key (many values, or many ratings per unit)."""
    n_units, n_values = counts.shape
    base = int(counts.max()) + 1 if counts.size else 1
    if n_values * np.log2(max(base, 2)) >= 62:
        return counts, np.arange(n_units, dtype=np.intp)
    keys = counts.astype(np.int64) @ (np.int64(base) ** np.arange(n_values, dtype=np.int64))
    _, first, kind_of_unit = np.unique(keys, return_index=True, return_inverse=True)
    return counts[first], kind_of_unit.reshape(-1).astype(np.intp, copy=False)


def _draw_weights(drawn: IntArray, n_kinds: int) -> FloatArray:
    """How often a unit of each kind was drawn, per replicate: (replicates x kinds)."""
    drawn += (np.arange(drawn.shape[0], dtype=np.intp) * n_kinds)[:, None]  # `drawn` is a fresh array
    tally = np.bincount(drawn.ravel(), minlength=drawn.shape[0] * n_kinds)
    return tally.reshape(drawn.shape[0], n_kinds).astype(np.float64)


class _ReplicateAlpha:
    """Alpha of weighted resamples of the pairable units, from per-unit pieces computed once."""

    def __init__(self, ratings: Ratings, counts: FloatArray, m: FloatArray) -> None:
        self.level = ratings.level
        self.counts = counts
        self.inverse_pairs = 1.0 / (m - 1.0)
        if self.level != "ordinal":
            self.differences = _differences(self.level, ratings.numeric_values, counts.sum(axis=0))
            # Each unit's sum over ordered pairs of delta² / (m_u - 1); delta² has a zero diagonal.
            self.unit_disagreement = ((counts @ self.differences) * counts).sum(axis=1) * self.inverse_pairs

    def __call__(self, weights: FloatArray) -> FloatArray:
        margins = weights @ self.counts
        n = margins.sum(axis=1)
        if self.level == "ordinal":
            observed, expected = self._ordinal(weights, margins, n)
        else:
            observed = weights @ self.unit_disagreement
            expected = ((margins @ self.differences) * margins).sum(axis=1)
        defined = (np.count_nonzero(margins, axis=1) >= 2) & (expected > 0.0)
        alphas = np.full(weights.shape[0], np.nan)
        alphas[defined] = 1.0 - (n[defined] - 1.0) * observed[defined] / expected[defined]
        return alphas

    def _ordinal(self, weights: FloatArray, margins: FloatArray, n: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Unnormalised D_o and D_e sums, with each replicate's own mid-ranks."""
        ranks = np.cumsum(margins, axis=1) - margins / 2.0
        # Distances ignore a shift; centring keeps the differences below well conditioned.
        ranks -= ((ranks * margins).sum(axis=1) / np.maximum(n, 1.0))[:, None]
        weighted = weights * self.inverse_pairs
        projected = ranks @ self.counts.T
        np.square(projected, out=projected)
        projected *= weighted
        quadratic = projected.sum(axis=1) - ((weighted @ self.counts) * np.square(ranks)).sum(axis=1)
        spread = (margins * np.square(ranks)).sum(axis=1)
        observed = 2.0 * spread - 2.0 * quadratic
        expected = 2.0 * (n * spread - np.square((margins * ranks).sum(axis=1)))
        return observed, expected
