"""Raters: each one against the rest (leave one out), and every two raters together.

``rater_agreement``: per rater, ``alpha_without`` (alpha of the data with that rater's ratings
removed) and ``agreement_with_rest`` = 1 - D_o(r) / D_e, where D_o(r) is the mean, over the
pairable units the rater rated, of the mean distance delta² between the rater's value and each
other value in the unit, and D_e, delta² are those of the whole data. Over raters, the mean of
D_o(r) weighted by their pairable ratings is exactly D_o, so these are a decomposition of alpha.

``pairwise_alpha``: for every two raters, alpha of their ratings on the units both rated (ordinal
ranks from that pair's own values, as alpha of that data would have them).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

import reviews.agreement as package
from reviews.agreement.alpha import (
    NO_PAIRABLE_VALUES,
    AlphaResult,
    _coincidences,
    _count_raters,
    _count_table,
    _differences,
    _layout,
    _result,
)
from reviews.agreement.ratings import FloatArray, IntArray, Ratings


@dataclass(frozen=True)
class RaterAgreement:
    """One rater against the rest (see the module docstring for the definitions)."""

    rater_id: Hashable
    n_units: int  # pairable units this rater rated
    alpha_without: AlphaResult
    observed_disagreement: float | None  # D_o(r)
    agreement_with_rest: float | None  # 1 - D_o(r) / D_e
    reason: str | None = None


def rater_agreement(ratings: Ratings) -> list[RaterAgreement]:
    """Leave-one-out alpha and agreement with the rest, for every rater in ``rater_ids`` order."""
    layout = _layout(ratings)
    counts = _count_table(ratings, layout)
    m = layout.m
    margins = counts.sum(axis=0)
    coincidences = _coincidences(counts, m)
    n_raters = _count_raters(ratings)
    overall = _result(coincidences, margins, ratings, n_units=int(m.size), n_raters=n_raters)

    row = layout.row_of_unit[ratings.unit_codes]
    pairable = row >= 0
    rows, codes, raters = row[pairable], ratings.value_codes[pairable], ratings.rater_codes[pairable]
    n_rater_ids = len(ratings.rater_ids)
    to_others = np.zeros(rows.size)
    if overall.alpha is not None:
        differences = _differences(ratings.level, ratings.numeric_values, margins)
        to_others = (counts @ differences)[rows, codes] / (m[rows] - 1.0)
    units_rated = np.bincount(raters, minlength=n_rater_ids)
    disagreement = np.bincount(raters, weights=to_others, minlength=n_rater_ids)
    has_ratings = np.bincount(ratings.rater_codes, minlength=n_rater_ids) > 0

    order = np.argsort(raters, kind="stable")
    bounds = np.searchsorted(raters[order], np.arange(n_rater_ids + 1))
    out = []
    for r in range(n_rater_ids):
        mine = order[bounds[r]:bounds[r + 1]]
        without = _alpha_without(ratings, counts, m, coincidences, margins, rows[mine], codes[mine],
                                 n_raters=n_raters - int(has_ratings[r]))
        k = int(units_rated[r])
        if overall.alpha is None or k == 0:
            reason = overall.reason if overall.alpha is None else NO_PAIRABLE_VALUES
            out.append(RaterAgreement(ratings.rater_ids[r], k, without, None, None, reason))
            continue
        d_o = float(disagreement[r]) / k
        assert overall.expected_disagreement is not None
        out.append(RaterAgreement(ratings.rater_ids[r], k, without, d_o,
                                  1.0 - d_o / overall.expected_disagreement))
    return out


def _alpha_without(
    ratings: Ratings,
    counts: FloatArray,
    m: FloatArray,
    coincidences: FloatArray,
    margins: FloatArray,
    rows: IntArray,
    codes: IntArray,
    *,
    n_raters: int,
) -> AlphaResult:
    """Alpha without one rater: only the units they rated change, so patch just those."""
    before = counts[rows]
    after = before.copy()
    after[np.arange(rows.size), codes] -= 1.0
    m_after = m[rows] - 1.0
    still_pairable = m_after >= 2.0
    after, m_after = after[still_pairable], m_after[still_pairable]
    patched = coincidences - _coincidences(before, m[rows]) + _coincidences(after, m_after)
    patched_margins = margins - before.sum(axis=0) + after.sum(axis=0)
    n_units = int(m.size - rows.size + after.shape[0])
    return _result(patched, patched_margins, ratings, n_units=n_units, n_raters=n_raters)


@dataclass(frozen=True)
class PairwiseAlpha:
    """Alpha for every two raters on the units both rated.

    ``alpha[i, j]`` is NaN where undefined (fewer than two shared units' worth of variation, or
    i == j); use ``value`` for None instead. ``n_units[i, j]`` counts the units both rated.
    """

    rater_ids: Sequence[Hashable]
    alpha: FloatArray
    n_units: npt.NDArray[np.int64]

    def value(self, a: Hashable, b: Hashable) -> float | None:
        i, j = self._index(a), self._index(b)
        found = float(self.alpha[i, j])
        return None if math.isnan(found) else found

    def _index(self, rater: Hashable) -> int:
        return list(self.rater_ids).index(rater)


def pairwise_alpha(ratings: Ratings) -> PairwiseAlpha:
    """Rater x rater alpha matrix, every pair at once."""
    n_raters = len(ratings.rater_ids)
    n_values = len(ratings.values)
    alpha = np.full((n_raters, n_raters), np.nan)
    shared = np.zeros((n_raters, n_raters), dtype=np.int64)
    first, second, first_value, second_value = _rating_pairs(ratings)
    if first.size == 0:
        return PairwiseAlpha(ratings.rater_ids, alpha, shared)
    pair_keys, pair_of = np.unique(first * n_raters + second, return_inverse=True)
    pair_of = pair_of.ravel()
    order = np.argsort(pair_of, kind="stable")
    bounds = np.searchsorted(pair_of[order], np.arange(pair_keys.size + 1))
    pairs_per_chunk = max(1, package._BLOCK_CELLS // max(n_values * n_values, 1))
    for start in range(0, pair_keys.size, pairs_per_chunk):
        stop = min(start + pairs_per_chunk, pair_keys.size)
        chosen = order[bounds[start]:bounds[stop]]
        cells = ((pair_of[chosen] - start) * n_values + first_value[chosen]) * n_values + second_value[chosen]
        tally = np.bincount(cells, minlength=(stop - start) * n_values * n_values)
        table = tally.reshape(stop - start, n_values, n_values).astype(np.float64)
        # Each shared unit is one pair of values, counted in both orders (weight 1/(m_u - 1) = 1).
        values, n = _pair_alphas(ratings, table + table.transpose(0, 2, 1))
        a, b = np.divmod(pair_keys[start:stop], n_raters)
        alpha[a, b] = alpha[b, a] = values
        shared[a, b] = shared[b, a] = (n // 2).astype(np.int64)
    return PairwiseAlpha(ratings.rater_ids, alpha, shared)


def _rating_pairs(ratings: Ratings) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Every two ratings of one unit, as (lower rater, higher rater, their values)."""
    units, raters, values = ratings.unit_codes, ratings.rater_codes, ratings.value_codes
    per_unit = np.bincount(units, minlength=len(ratings.unit_ids))
    most = int(per_unit.max()) if per_unit.size else 0
    parts: list[tuple[IntArray, IntArray, IntArray, IntArray]] = []
    # Ratings are sorted by unit, so ratings j apart in the arrays share a unit iff their units match.
    for gap in range(1, most):
        same = np.flatnonzero(units[gap:] == units[:-gap])
        ra, rb = raters[same], raters[same + gap]
        va, vb = values[same], values[same + gap]
        swap = ra > rb
        parts.append((np.where(swap, rb, ra), np.where(swap, ra, rb),
                      np.where(swap, vb, va), np.where(swap, va, vb)))
    if not parts:
        empty = np.zeros(0, dtype=np.intp)
        return empty, empty, empty, empty
    first, second, first_value, second_value = (np.concatenate(column) for column in zip(*parts))
    return first, second, first_value, second_value


def _pair_alphas(ratings: Ratings, coincidences: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Alpha of each two-rater coincidence matrix (pairs x values x values), NaN if undefined."""
    margins = coincidences.sum(axis=2)
    n = margins.sum(axis=1)
    if ratings.level == "ordinal":
        ranks = np.cumsum(margins, axis=1) - margins / 2.0
        differences = np.square(ranks[:, :, None] - ranks[:, None, :])
    else:
        differences = _differences(ratings.level, ratings.numeric_values, margins[0])[None, :, :]
    observed = (coincidences * differences).sum(axis=(1, 2))
    expected = np.einsum("pc,pck,pk->p", margins, np.broadcast_to(differences, coincidences.shape), margins)
    defined = (np.count_nonzero(margins, axis=1) >= 2) & (expected > 0.0)
    alphas = np.full(n.size, np.nan)
    alphas[defined] = 1.0 - (n[defined] - 1.0) * observed[defined] / expected[defined]
    return alphas, n
