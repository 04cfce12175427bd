"""Krippendorff's alpha itself: coincidences, difference functions and the undefined cases
(definitions in the package docstring).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final, NamedTuple

import numpy as np
import numpy.typing as npt

import reviews.agreement as package
from reviews.agreement.ratings import FloatArray, IntArray, Level, Ratings

NO_RATINGS: Final = "no ratings"
ONE_RATER: Final = "one rater"
NO_PAIRABLE_VALUES: Final = "no pairable values"
NO_VARIATION: Final = "no variation"
ZERO_EXPECTED_DISAGREEMENT: Final = "zero expected disagreement"


@dataclass(frozen=True)
class AlphaResult:
    """Alpha and what it rests on; ``alpha`` is None with a ``reason`` when undefined."""

    alpha: float | None
    observed_disagreement: float | None
    expected_disagreement: float | None
    n_units: int
    n_pairable_values: int
    n_raters: int
    level: Level
    reason: str | None = None


@dataclass(frozen=True)
class _Layout:
    """Where each unit's ratings sit in the unit-sorted arrays, and which units are pairable."""

    per_unit: IntArray  # ratings per unit
    starts: IntArray  # offset of each unit's ratings, plus the end
    pairable: IntArray  # unit codes with two or more ratings, ascending
    row_of_unit: IntArray  # row of a unit among the pairable ones, -1 if not pairable

    @property
    def m(self) -> FloatArray:
        return self.per_unit[self.pairable].astype(np.float64)


def _layout(ratings: Ratings) -> _Layout:
    per_unit = np.bincount(ratings.unit_codes, minlength=len(ratings.unit_ids))
    starts = np.zeros(per_unit.size + 1, dtype=np.intp)
    np.cumsum(per_unit, out=starts[1:])
    is_pairable = per_unit >= 2
    row_of_unit = np.where(is_pairable, np.cumsum(is_pairable) - 1, -1)
    return _Layout(per_unit, starts, np.flatnonzero(is_pairable), row_of_unit)


def _count_block(ratings: Ratings, layout: _Layout, rows: slice) -> FloatArray:
    """Value counts (rows x values) of the pairable units in ``rows``."""
    units = layout.pairable[rows]
    n_values = len(ratings.values)
    if units.size == 0:
        return np.zeros((0, n_values))
    low, high = layout.starts[units[0]], layout.starts[units[-1] + 1]
    # Rows shift down by one so that single ratings between pairable units (row -1) all land in
    # row 0, which is dropped: cheaper than filtering them out.
    row = layout.row_of_unit[ratings.unit_codes[low:high]] - ((rows.start or 0) - 1)
    np.maximum(row, 0, out=row)
    cells = row * n_values + ratings.value_codes[low:high]
    counts = np.bincount(cells, minlength=(units.size + 1) * n_values)
    return counts.reshape(units.size + 1, n_values)[1:].astype(np.float64)


def _count_blocks(ratings: Ratings, layout: _Layout) -> Iterator[tuple[slice, FloatArray]]:
    rows_per_block = max(1, package._BLOCK_CELLS // max(len(ratings.values), 1))
    for start in range(0, layout.pairable.size, rows_per_block):
        rows = slice(start, min(start + rows_per_block, layout.pairable.size))
        yield rows, _count_block(ratings, layout, rows)


def _count_table(ratings: Ratings, layout: _Layout) -> FloatArray:
    """Value counts of every pairable unit (for statistics that need them all at once)."""
    return _count_block(ratings, layout, slice(0, layout.pairable.size))


def _coincidences(counts: FloatArray, m: FloatArray) -> FloatArray:
    """Coincidence matrix of the units whose value counts are ``counts`` (all m >= 2)."""
    weighted = counts / (m - 1.0)[:, None]
    coincidences = weighted.T @ counts
    coincidences[np.diag_indices_from(coincidences)] -= weighted.sum(axis=0)
    return coincidences


def _differences(level: Level, numeric: FloatArray | None, margins: FloatArray) -> FloatArray:
    """delta²_ck over the values axis; ``margins`` (n_c) only matter for ordinal data."""
    if level == "nominal":
        return 1.0 - np.eye(margins.size)
    if level == "ordinal":
        ranks = np.cumsum(margins) - margins / 2.0
        return np.square(ranks[:, None] - ranks[None, :])
    assert numeric is not None
    gaps = numeric[:, None] - numeric[None, :]
    if level == "interval":
        return np.square(gaps)
    sums = numeric[:, None] + numeric[None, :]
    return np.square(np.divide(gaps, sums, out=np.zeros_like(gaps), where=sums != 0))


def _count_raters(ratings: Ratings) -> int:
    return int(np.count_nonzero(np.bincount(ratings.rater_codes, minlength=len(ratings.rater_ids))))


def _result(
    coincidences: FloatArray | None,
    margins: FloatArray,
    ratings: Ratings,
    *,
    n_units: int,
    n_raters: int,
    observed_total: float | None = None,
) -> AlphaResult:
    """Alpha from a coincidence matrix and its (exact) margins, or the reason it is undefined.

    Outside the ordinal level the distances do not depend on the margins, so instead of the matrix a caller
    may give ``observed_total`` = sum_ck o_ck delta²_ck."""
    n = float(margins.sum())

    def undefined(reason: str, d_o: float | None = None, d_e: float | None = None) -> AlphaResult:
        return AlphaResult(None, d_o, d_e, n_units, int(n), n_raters, ratings.level, reason)

    if n_raters == 0:
        return undefined(NO_RATINGS)
    if n_raters < 2:
        return undefined(ONE_RATER)
    if n_units == 0:
        return undefined(NO_PAIRABLE_VALUES)
    if np.count_nonzero(margins) < 2:
        return undefined(NO_VARIATION, 0.0, 0.0)
    differences = _differences(ratings.level, ratings.numeric_values, margins)
    if observed_total is None:
        assert coincidences is not None
        observed_total = float((coincidences * differences).sum())
    observed = observed_total / n
    expected = float(margins @ differences @ margins) / (n * (n - 1.0))
    if not expected > 0.0:
        return undefined(ZERO_EXPECTED_DISAGREEMENT, observed, expected)
    return AlphaResult(1.0 - observed / expected, observed, expected, n_units, int(n), n_raters,
                       ratings.level)


def compute_alpha(ratings: Ratings) -> AlphaResult:
    """Krippendorff's alpha of coded ratings at their level of measurement."""
    layout = _layout(ratings)
    n_values = len(ratings.values)
    coincidences = np.zeros((n_values, n_values))
    margins = np.zeros(n_values)
    m = layout.m
    for rows, counts in _count_blocks(ratings, layout):
        coincidences += _coincidences(counts, m[rows])
        margins += counts.sum(axis=0)
    return _result(coincidences, margins, ratings, n_units=int(layout.pairable.size),
                   n_raters=_count_raters(ratings))


def krippendorff_alpha(
    units: Sequence[Hashable] | npt.NDArray[Any],
    raters: Sequence[Hashable] | npt.NDArray[Any],
    values: Sequence[Any] | npt.NDArray[Any],
    *,
    level: Level,
    value_domain: Sequence[Hashable] | npt.ArrayLike | None = None,
) -> AlphaResult:
    """Krippendorff's alpha of (unit, rater, value) triples; None/NaN values are missing."""
    return compute_alpha(Ratings.from_triples(units, raters, values, level=level, value_domain=value_domain))


def alpha_from_matrix(
    matrix: npt.ArrayLike,
    *,
    level: Level,
    value_domain: Sequence[Hashable] | npt.ArrayLike | None = None,
) -> AlphaResult:
    """Krippendorff's alpha of a reliability matrix (raters x units, NaN where missing)."""
    return compute_alpha(Ratings.from_matrix(matrix, level=level, value_domain=value_domain))


class Coincidences(NamedTuple):
    values: Sequence[Hashable]
    matrix: FloatArray


def coincidence_matrix(ratings: Ratings) -> Coincidences:
    """The coincidence matrix o_ck over the values axis (for display and checking)."""
    layout = _layout(ratings)
    n_values = len(ratings.values)
    total = np.zeros((n_values, n_values))
    for rows, counts in _count_blocks(ratings, layout):
        total += _coincidences(counts, layout.m[rows])
    return Coincidences(ratings.values, total)


def pairable_units(ratings: Ratings) -> list[Hashable]:
    """Ids of the units with two or more ratings, in the row order used by bootstrap draws."""
    return [ratings.unit_ids[u] for u in _layout(ratings).pairable.tolist()]
