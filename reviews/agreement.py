"""Krippendorff's alpha for review scores: pure numpy, no Django.

Definition
----------
Only *pairable* values count: values in units (interviews) that carry two or more ratings
(m_u >= 2). A unit rated once says nothing about agreement and is ignored.

One pass over the ratings gives, for each pairable unit u, the count n_uc of each value c. They
make the coincidence matrix and its margins::

    o_ck = sum_u (n_uc * n_uk - [c = k] * n_uc) / (m_u - 1)
    n_c  = sum_k o_ck = sum_u n_uc          n = sum_c n_c   (the pairable values)

and with a difference function delta²_ck (a small V x V matrix over the distinct values)::

    D_o = 1/n          * sum_ck o_ck      * delta²_ck     observed disagreement
    D_e = 1/(n (n-1))  * sum_ck n_c * n_k * delta²_ck     disagreement expected by chance
    alpha = 1 - D_o / D_e

The difference function by level of measurement:

- nominal:  [c != k]
- ordinal:  (sum_{g=c..k} n_g - (n_c + n_k) / 2)²
- interval: (c - k)²
- ratio:    ((c - k) / (c + k))², taken as 0 when c + k = 0 (as the ``krippendorff`` package does)

"Ordinal" is Krippendorff's rank-based metric (Krippendorff 2011, "Computing Krippendorff's
Alpha-Reliability"; Content Analysis, 2004/2019), not interval alpha on the codes: the distance
between c and k is the number of pairable values from c to k, the two end values counted by half.
It depends only on the order of the values and on how often each is used, not on their spacing.
Equivalently each value sits at its mid-rank r_c = sum_{g<c} n_g + n_c / 2 and
delta²_ck = (r_k - r_c)², which is how it is computed here.

The value set and ``value_domain``
----------------------------------
Without a ``value_domain`` the values axis is the set of values observed: numbers in ascending
order, labels (nominal, or ordinal labels) in order of first appearance. With one, the axis is the
domain in the order given, so a scale's unobserved points can be supplied. What changes: values
outside the domain raise ``ValueError``; the coincidence and distance matrices are laid out over
the whole domain (one layout for every slice of a metric); for ordinal data the domain order, not
numeric sorting, is the order, which is how non-numeric ordinal labels get one. What does not
change is alpha: an unobserved value has n_g = 0, so it adds nothing to an ordinal distance nor to
either disagreement, and nominal, interval and ratio distances between observed values do not
involve other values. (The ``krippendorff`` package gives the same alpha with or without it.) So
ordinal alpha ignores gaps in the scale; use interval when the spacing matters.

Undefined alpha
---------------
Degenerate data never raise and never give NaN: ``alpha`` is None and ``reason`` is one of

- ``"no ratings"``
- ``"one rater"``: fewer than two raters gave a rating
- ``"no pairable values"``: no unit has two ratings
- ``"no variation"``: every pairable value is the same, so D_o = D_e = 0 and alpha is 0/0.
  Krippendorff points out that such data cannot show reliability: with no variation the raters
  have not shown they can tell units apart, so alpha = 1 ("perfect") would not be meaningful.
  We report it as undefined rather than as 1.
- ``"zero expected disagreement"``: D_e = 0 although two values occur (only ratio values c, -c).

Invalid input raises ``ValueError``: mismatched lengths, non-numeric values at a numeric level,
infinite values, values outside ``value_domain``, a rater rating one unit twice. Those are bugs
upstream, not data. None and NaN values are missing ratings ("cannot judge") and are dropped.

Bootstrap
---------
``bootstrap_ci`` resamples pairable units with replacement (a unit is an interview; resampling
units keeps its ratings together). Every replicate is a weighted sum of per-unit contributions,
with weight w_bu = how often unit u was drawn: margins W @ counts, observed-disagreement sums
W @ q with q_u = sum_{i != j in u} delta² / (m_u - 1). The ordinal metric depends on each
replicate's own margins; there D_o comes from the replicate's ranks r_b through
sum_ck o_ck (r_c - r_k)² = 2 sum_c n_c r_c² - 2 sum_u w_u ((n_u . r_b)² - n_u . r_b²) / (m_u - 1).
Replicates run in chunks of a (replicates x units) weight matrix; no Python loop over replicates.
The interval is the percentile interval; replicates whose alpha is undefined are dropped and
counted. (This is a unit bootstrap, not the resampling of pairable values in Krippendorff's and
Hayes's KALPHA macro.)

Units and raters
----------------
``unit_dispersion``: per pairable unit, the mean distance delta² over its pairs of values, and the
same divided by D_e of the whole data (1 is chance-level disagreement; D_o/D_e = 1 - alpha is the
m_u-weighted mean of these ratios), plus the range and standard deviation of numeric values.

``rater_agreement``: per rater, ``alpha_without`` (alpha of the data with that rater's ratings
removed) and ``agreement_with_rest`` = 1 - D_o(r) / D_e, where D_o(r) is the mean, over the
pairable units the rater rated, of the mean distance delta² between the rater's value and each
other value in the unit, and D_e, delta² are those of the whole data. Over raters, the mean of
D_o(r) weighted by their pairable ratings is exactly D_o, so these are a decomposition of alpha.

``pairwise_alpha``: for every two raters, alpha of their ratings on the units both rated (ordinal
ranks from that pair's own values, as alpha of that data would have them).
"""

from __future__ import annotations

import decimal
import math
import numbers
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, NamedTuple, get_args

import numpy as np
import numpy.typing as npt

Level = Literal["nominal", "ordinal", "interval", "ratio"]
LEVELS: Final[tuple[Level, ...]] = get_args(Level)

NO_RATINGS: Final = "no ratings"
ONE_RATER: Final = "one rater"
NO_PAIRABLE_VALUES: Final = "no pairable values"
NO_VARIATION: Final = "no variation"
ZERO_EXPECTED_DISAGREEMENT: Final = "zero expected disagreement"

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]

# Dense (units x values) count blocks are built this many cells at a time, so memory stays flat
# however many units there are.
_BLOCK_CELLS: Final = 1 << 22
# Cells of one (replicates x units) weight chunk in the bootstrap.
_BOOTSTRAP_CELLS: Final = 1 << 21
# Integer-valued scores spanning less than this are coded by offset, avoiding a sort.
_SMALL_INT_SPAN: Final = 1 << 20


# --------------------------------------------------------------------------- input


@dataclass(frozen=True, eq=False)
class Ratings:
    """Ratings coded once for every statistic: one entry per non-missing (unit, rater, value).

    ``unit_codes``, ``rater_codes`` and ``value_codes`` index ``unit_ids``, ``rater_ids`` and
    ``values`` (the values axis); entries are sorted by unit so each unit's ratings are contiguous.
    ``numeric_values`` holds the axis as numbers when the values are numbers.
    """

    level: Level
    unit_ids: Sequence[Hashable]
    rater_ids: Sequence[Hashable]
    values: Sequence[Hashable]
    numeric_values: FloatArray | None
    unit_codes: IntArray
    rater_codes: IntArray
    value_codes: IntArray

    @classmethod
    def from_triples(
        cls,
        units: Sequence[Hashable] | npt.NDArray[Any],
        raters: Sequence[Hashable] | npt.NDArray[Any],
        values: Sequence[Any] | npt.NDArray[Any],
        *,
        level: Level,
        value_domain: Sequence[Hashable] | npt.ArrayLike | None = None,
    ) -> Ratings:
        """Code (unit, rater, value) triples; any hashable ids, None/NaN values are missing."""
        _check_level(level)
        lengths = (len(units), len(raters), len(values))
        if len(set(lengths)) > 1:
            raise ValueError(f"units, raters and values differ in length: {lengths}")
        present, value_codes, axis, numeric = _code_values(values, level, value_domain)
        unit_codes, unit_ids = _factorize(_take(units, present))
        rater_codes, rater_ids = _factorize(_take(raters, present))
        return _sorted_ratings(level, unit_ids, rater_ids, axis, numeric, unit_codes, rater_codes,
                               value_codes, presorted=False, check_duplicates=True)

    @classmethod
    def from_matrix(
        cls,
        matrix: npt.ArrayLike,
        *,
        level: Level,
        value_domain: Sequence[Hashable] | npt.ArrayLike | None = None,
    ) -> Ratings:
        """Code a reliability matrix: raters x units, NaN (or None) where a rater gave no value.

        Unit ids are column indices and rater ids row indices.
        """
        _check_level(level)
        grid = np.asarray(matrix)
        if grid.ndim != 2:
            raise ValueError(f"a reliability matrix is 2-D (raters x units), got shape {grid.shape}")
        n_raters, n_units = grid.shape
        # Unit-major order, so entries come out already sorted by unit.
        by_unit = grid.T.ravel()
        present, value_codes, axis, numeric = _code_values(by_unit, level, value_domain)
        cells = np.flatnonzero(present) if present is not None else np.arange(by_unit.size)
        unit_codes, rater_codes = np.divmod(cells, n_raters)
        return _sorted_ratings(level, range(n_units), range(n_raters), axis, numeric,
                               unit_codes.astype(np.intp, copy=False),
                               rater_codes.astype(np.intp, copy=False), value_codes,
                               presorted=True, check_duplicates=False)

    @property
    def n_ratings(self) -> int:
        return int(self.unit_codes.size)


def _check_level(level: str) -> None:
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}; got {level!r}")


def _take(ids: Sequence[Hashable] | npt.NDArray[Any], present: BoolArray | None) -> Any:
    if present is None:
        return ids
    if isinstance(ids, np.ndarray):
        return ids[present]
    return [x for x, keep in zip(ids, present.tolist()) if keep]


def _factorize(ids: Sequence[Hashable] | npt.NDArray[Any]) -> tuple[IntArray, list[Hashable]]:
    """Codes 0..k-1 in order of first appearance, and the distinct ids."""
    if isinstance(ids, np.ndarray) and ids.dtype.kind in "biufUS":
        distinct, first, inverse = np.unique(ids, return_index=True, return_inverse=True)
        order = np.argsort(first, kind="stable")
        rank = np.empty(order.size, dtype=np.intp)
        rank[order] = np.arange(order.size)
        return rank[inverse.ravel()], distinct[order].tolist()
    # Python hashing is the contract for arbitrary ids; numpy would coerce mixed types to strings.
    seen: dict[Hashable, int] = {}
    codes = np.fromiter((seen.setdefault(x, len(seen)) for x in ids), dtype=np.intp, count=len(ids))
    return codes, list(seen)


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, (float, np.floating)) and math.isnan(value))


def _as_numbers(values: Any) -> FloatArray | None:
    """Values as float64 (missing -> NaN), or None if they are not all numbers."""
    array = np.asarray(values)
    if array.dtype.kind in "biuf":
        return array.astype(np.float64, copy=False).ravel()
    if array.dtype.kind != "O":
        return None
    flat = array.ravel()
    # Decimal covers Django DecimalField scores.
    if not all(v is None or isinstance(v, (numbers.Real, decimal.Decimal)) for v in flat):
        return None
    return np.fromiter((np.nan if v is None else float(v) for v in flat), dtype=np.float64, count=flat.size)


def _code_values(
    values: Any, level: Level, value_domain: Any
) -> tuple[BoolArray | None, IntArray, list[Hashable], FloatArray | None]:
    """Mask of present values (None = all present), their codes, the values axis, its numbers."""
    numbers_ = None if level == "nominal" else _as_numbers(values)
    domain_numbers = None if value_domain is None or level == "nominal" else _as_numbers(value_domain)
    if level in ("interval", "ratio") and (numbers_ is None or (value_domain is not None and domain_numbers is None)):
        raise ValueError(f"{level} values (and value_domain) must be numbers")
    if numbers_ is not None and (value_domain is None or domain_numbers is not None):
        return _code_numbers(numbers_, domain_numbers)
    if level == "ordinal" and value_domain is None:
        raise ValueError("ordinal values that are not numbers need a value_domain to give their order")
    return _code_labels(values, value_domain)


def _code_numbers(
    values: FloatArray, domain: FloatArray | None
) -> tuple[BoolArray | None, IntArray, list[Hashable], FloatArray]:
    missing = np.isnan(values)
    present: BoolArray | None = ~missing if missing.any() else None
    observed = values[present] if present is not None else values
    if np.isinf(observed).any():
        raise ValueError("values must be finite")
    if domain is None:
        codes, axis = _code_observed_numbers(observed)
    else:
        codes, axis = _code_numbers_in_domain(observed, domain)
    return present, codes, axis.tolist(), axis


def _code_observed_numbers(observed: FloatArray) -> tuple[IntArray, FloatArray]:
    if observed.size == 0:
        return np.zeros(0, dtype=np.intp), np.zeros(0)
    low, high = float(observed.min()), float(observed.max())
    if high - low < _SMALL_INT_SPAN and np.array_equal(observed, np.floor(observed)):
        # Scores are small integers: code by offset in O(n) instead of sorting.
        offsets = (observed - low).astype(np.intp)
        used = np.bincount(offsets) > 0
        code_of_offset = np.cumsum(used) - 1
        return code_of_offset[offsets], low + np.flatnonzero(used).astype(np.float64)
    axis, codes = np.unique(observed, return_inverse=True)
    return codes.ravel().astype(np.intp, copy=False), axis


def _code_numbers_in_domain(observed: FloatArray, domain: FloatArray) -> tuple[IntArray, FloatArray]:
    if np.isnan(domain).any() or np.isinf(domain).any():
        raise ValueError("value_domain must hold finite values")
    sorter = np.argsort(domain, kind="stable")
    ordered = domain[sorter]
    if np.any(ordered[1:] == ordered[:-1]):
        raise ValueError("value_domain has repeated values")
    position = np.minimum(np.searchsorted(ordered, observed), max(domain.size - 1, 0))
    if domain.size == 0 or not np.array_equal(ordered[position], observed):
        outside = np.setdiff1d(observed, domain)[:5].tolist() if domain.size else observed[:5].tolist()
        raise ValueError(f"values outside value_domain: {outside}")
    return sorter[position].astype(np.intp, copy=False), domain.copy()


def _code_labels(
    values: Any, value_domain: Any
) -> tuple[BoolArray | None, IntArray, list[Hashable], None]:
    if isinstance(values, np.ndarray) and values.dtype.kind in "biuUS":
        present: BoolArray | None = None
        observed: Any = values.ravel()
    elif isinstance(values, np.ndarray) and values.dtype.kind == "f":
        mask = ~np.isnan(values.ravel())
        present = None if mask.all() else mask
        observed = values.ravel()[mask]
    else:
        flat = values.ravel().tolist() if isinstance(values, np.ndarray) else list(values)
        mask = np.fromiter((not _is_missing(v) for v in flat), dtype=np.bool_, count=len(flat))
        present = None if mask.all() else mask
        observed = [v for v, keep in zip(flat, mask.tolist()) if keep]
    if value_domain is None:
        codes, axis = _factorize(observed)
        return present, codes, axis, None
    domain = list(np.asarray(value_domain).tolist()) if isinstance(value_domain, np.ndarray) else list(value_domain)
    index = {label: i for i, label in enumerate(domain)}
    if len(index) != len(domain):
        raise ValueError("value_domain has repeated values")
    labels = observed.tolist() if isinstance(observed, np.ndarray) else observed
    try:
        codes = np.fromiter((index[v] for v in labels), dtype=np.intp, count=len(labels))
    except KeyError as missing_label:
        raise ValueError(f"value outside value_domain: {missing_label.args[0]!r}") from None
    return present, codes, domain, None


def _sorted_ratings(
    level: Level,
    unit_ids: Sequence[Hashable],
    rater_ids: Sequence[Hashable],
    axis: list[Hashable],
    numeric: FloatArray | None,
    unit_codes: IntArray,
    rater_codes: IntArray,
    value_codes: IntArray,
    *,
    presorted: bool,
    check_duplicates: bool,
) -> Ratings:
    if not presorted and unit_codes.size > 1 and np.any(unit_codes[1:] < unit_codes[:-1]):
        order = np.argsort(unit_codes, kind="stable")
        unit_codes, rater_codes, value_codes = unit_codes[order], rater_codes[order], value_codes[order]
    if check_duplicates and unit_codes.size > 1:
        # Sorted by unit already, so this sort mostly merges short runs.
        pairs = np.sort(unit_codes.astype(np.int64) * max(len(rater_ids), 1) + rater_codes, kind="stable")
        repeated = np.flatnonzero(pairs[1:] == pairs[:-1])
        if repeated.size:
            unit, rater = divmod(int(pairs[repeated[0]]), max(len(rater_ids), 1))
            raise ValueError(f"rater {rater_ids[rater]!r} rated unit {unit_ids[unit]!r} more than once")
    return Ratings(level, unit_ids, rater_ids, axis, numeric, unit_codes, rater_codes, value_codes)


# --------------------------------------------------------------------------- core


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
    rows_per_block = max(1, _BLOCK_CELLS // max(len(ratings.values), 1))
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
    coincidences: FloatArray,
    margins: FloatArray,
    ratings: Ratings,
    *,
    n_units: int,
    n_raters: int,
) -> AlphaResult:
    """Alpha from a coincidence matrix and its (exact) margins, or the reason it is undefined."""
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
    observed = float((coincidences * differences).sum()) / n
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


# --------------------------------------------------------------------------- bootstrap


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
    replicate = _ReplicateAlpha(ratings, counts, layout.m)
    rng = np.random.default_rng(seed)
    chunk = max(1, _BOOTSTRAP_CELLS // n_units)
    for start in range(0, n_replicates, chunk):
        stop = min(start + chunk, n_replicates)
        rows = draws[start:stop] if draws is not None else rng.integers(0, n_units, size=(stop - start, n_units))
        alphas[start:stop] = replicate(_draw_weights(rows, n_units))
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
    used = replicates.alpha[replicates.defined]
    if used.size == 0:
        return BootstrapInterval(None, None, 0)
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(used, [tail, 1.0 - tail])
    return BootstrapInterval(float(low), float(high), int(used.size))


def _draw_weights(rows: IntArray, n_units: int) -> FloatArray:
    """How often each unit was drawn, per replicate: (replicates x units)."""
    offsets = (np.arange(rows.shape[0], dtype=np.intp) * n_units)[:, None]
    tally = np.bincount((rows + offsets).ravel(), minlength=rows.shape[0] * n_units)
    return tally.reshape(rows.shape[0], n_units).astype(np.float64)


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


# --------------------------------------------------------------------------- units


@dataclass(frozen=True)
class UnitDispersion:
    """Disagreement within each pairable unit (arrays aligned with ``unit_ids``).

    ``mean_pairwise_difference``: mean delta² over the unit's pairs of values (the unit's own
    observed disagreement). ``relative_disagreement``: that divided by D_e of the whole data, None
    when alpha is undefined; 0 is full agreement, 1 chance level. ``value_range`` and
    ``value_std`` (population) are given when the values are numbers.
    """

    unit_ids: list[Hashable]
    n_values: npt.NDArray[np.int64]
    mean_pairwise_difference: FloatArray
    relative_disagreement: FloatArray | None
    value_range: FloatArray | None
    value_std: FloatArray | None

    def flagged(self, threshold: float) -> list[Hashable]:
        """Units whose relative disagreement exceeds ``threshold`` (none when undefined)."""
        if self.relative_disagreement is None:
            return []
        return [self.unit_ids[i] for i in np.flatnonzero(self.relative_disagreement > threshold).tolist()]


def unit_dispersion(ratings: Ratings) -> UnitDispersion:
    """Per-unit disagreement, for flagging units whose reviewers disagree."""
    layout = _layout(ratings)
    counts = _count_table(ratings, layout)
    m = layout.m
    margins = counts.sum(axis=0)
    differences = _differences(ratings.level, ratings.numeric_values, margins)
    mean_difference = ((counts @ differences) * counts).sum(axis=1) / np.maximum(m * (m - 1.0), 1.0)
    overall = _result(_coincidences(counts, m), margins, ratings, n_units=int(m.size),
                      n_raters=_count_raters(ratings))
    relative = None
    if overall.alpha is not None and overall.expected_disagreement:
        relative = mean_difference / overall.expected_disagreement
    value_range = value_std = None
    if ratings.numeric_values is not None:
        value_range, value_std = _numeric_spread(counts, m, ratings.numeric_values)
    return UnitDispersion([ratings.unit_ids[u] for u in layout.pairable.tolist()],
                          m.astype(np.int64), mean_difference, relative, value_range, value_std)


def _numeric_spread(counts: FloatArray, m: FloatArray, numeric: FloatArray) -> tuple[FloatArray, FloatArray]:
    present = counts > 0
    highest = np.where(present, numeric, -np.inf).max(axis=1, initial=-np.inf)
    lowest = np.where(present, numeric, np.inf).min(axis=1, initial=np.inf)
    centred = numeric - (numeric.mean() if numeric.size else 0.0)  # less cancellation below
    mean = counts @ centred / m
    variance = np.maximum(counts @ np.square(centred) / m - np.square(mean), 0.0)
    return highest - lowest, np.sqrt(variance)


# --------------------------------------------------------------------------- raters


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
    pairs_per_chunk = max(1, _BLOCK_CELLS // max(n_values * n_values, 1))
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
