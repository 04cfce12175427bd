"""Ratings coded once for every statistic: (unit, rater, value) triples or a reliability matrix
become integer codes over one values axis, sorted by unit.
"""

from __future__ import annotations

import decimal
import math
import numbers
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, get_args

import numpy as np
import numpy.typing as npt

Level = Literal["nominal", "ordinal", "interval", "ratio"]
LEVELS: Final[tuple[Level, ...]] = get_args(Level)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]

# Integer-valued scores spanning less than this are coded by offset, avoiding a sort.
_SMALL_INT_SPAN: Final = 1 << 20


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
