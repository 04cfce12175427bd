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

    without_all = _alpha_without_each(ratings, counts, m, coincidences, margins, rows, codes, raters,
                                      has_ratings, n_raters)
    out = []
    for r in range(n_rater_ids):
        without = without_all[r]
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


def _alpha_without_each(
    ratings: Ratings,
    counts: FloatArray,
    m: FloatArray,
    coincidences: FloatArray,
    margins: FloatArray,
    rows: IntArray,
    codes: IntArray,
    raters: IntArray,
    has_ratings: npt.NDArray[np.bool_],
    n_raters: int,
) -> list[AlphaResult]:
    """Alpha without each rater in turn. Removing one rating changes only its unit's coincidences, by an amount
    that depends on the unit's value counts and the value removed alone; so the change is computed once per
    such (counts, value) kind and summed per rater through a (raters x kinds) tally — no loop over ratings."""
    if ratings.level != "ordinal":
        return _alpha_without_each_fixed_distances(ratings, counts, m, coincidences, margins, rows, codes, raters,
                                                   has_ratings, n_raters)
    n_rater_ids = len(ratings.rater_ids)
    n_values = len(ratings.values)
    kinds_of_unit, kind_of_row = np.unique(counts, axis=0, return_inverse=True)
    kind_of_row = kind_of_row.reshape(-1)
    combo, combo_of_rating = np.unique(kind_of_row[rows] * n_values + codes, return_inverse=True)
    combo_of_rating = combo_of_rating.reshape(-1)
    kind, code = np.divmod(combo, n_values)
    before = kinds_of_unit[kind]
    m_before = before.sum(axis=1)
    after = before.copy()
    after[np.arange(combo.size), code] -= 1.0
    m_after = m_before - 1.0
    stays = m_after >= 2.0  # a unit left with one rating is no longer pairable
    change = -_each_coincidences(before, m_before)
    change[stays] += _each_coincidences(after[stays], m_after[stays])
    tally = np.zeros((n_rater_ids, combo.size))
    np.add.at(tally, (raters, combo_of_rating), 1.0)
    patched_all = coincidences[None, :, :] + (tally @ change.reshape(combo.size, n_values * n_values)).reshape(
        n_rater_ids, n_values, n_values)
    # A unit that stops being pairable takes its remaining rating out of the margins too.
    margin_change = np.where(stays[:, None], after, 0.0) - before
    patched_margins = margins[None, :] + tally @ margin_change
    dropped_units = tally @ (~stays).astype(np.float64)
    out = []
    for r in range(n_rater_ids):
        out.append(_result(patched_all[r], patched_margins[r], ratings,
                           n_units=int(m.size - round(dropped_units[r])),
                           n_raters=n_raters - int(has_ratings[r])))
    return out


def _alpha_without_each_fixed_distances(
    ratings: Ratings,
    counts: FloatArray,
    m: FloatArray,
    coincidences: FloatArray,
    margins: FloatArray,
    rows: IntArray,
    codes: IntArray,
    raters: IntArray,
    has_ratings: npt.NDArray[np.bool_],
    n_raters: int,
) -> list[AlphaResult]:
    """`_alpha_without_each` where delta² does not depend on the margins (nominal, interval, ratio): alpha needs
    only sum_ck o_ck delta²_ck, and removing a rating changes it by a number per rating (no V x V per rating)."""
    n_rater_ids = len(ratings.rater_ids)
    differences = _differences(ratings.level, ratings.numeric_values, margins)
    observed_total = float((coincidences * differences).sum())
    towards = counts @ differences  # (counts_u . delta²)_c for each pairable unit u and value c
    unit_sum = (towards * counts).sum(axis=1)  # counts_u delta² counts_u (delta² has a zero diagonal)
    m_rating = m[rows]
    stays = m_rating >= 3.0  # a unit left with one rating is no longer pairable
    # counts delta² counts after taking one value c out: the old sum less twice the row of c.
    after_sum = unit_sum[rows] - 2.0 * towards[rows, codes]
    change = -unit_sum[rows] / (m_rating - 1.0)
    change[stays] += after_sum[stays] / (m_rating[stays] - 2.0)
    observed_change = np.bincount(raters, weights=change, minlength=n_rater_ids)
    # The margins lose the value taken out, and a unit that stops being pairable its other value too.
    margin_change = np.zeros((n_rater_ids, margins.size))
    np.add.at(margin_change, (raters[stays], codes[stays]), -1.0)
    gone = ~stays
    np.add.at(margin_change, raters[gone], -counts[rows[gone]])
    dropped_units = np.bincount(raters[gone], minlength=n_rater_ids)
    return [_result(None, margins + margin_change[r], ratings, n_units=int(m.size - dropped_units[r]),
                    n_raters=n_raters - int(has_ratings[r]), observed_total=observed_total + float(observed_change[r]))
            for r in range(n_rater_ids)]


def _each_coincidences(counts: FloatArray, m: FloatArray) -> FloatArray:
    """The coincidence matrix of each unit alone (units x values x values)."""
    each = counts[:, :, None] * counts[:, None, :]
    diagonal = np.arange(counts.shape[1])
    each[:, diagonal, diagonal] -= counts
    each /= (m - 1.0)[:, None, None]
    return each


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
