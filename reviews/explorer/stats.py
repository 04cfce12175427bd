"""Cell statistics for the pattern explorer: pure numpy, no Django.

A cell (a model, a model × interviewer, a model × condition level, …) is summarised from the
consensus scores of the interviews behind it. Those are few distinct numbers (means of a handful
of ratings on a coarse scale), so a cell is passed as a histogram: the distinct ``values`` and how
many interviews have each (``counts``). Everything here is a function of that histogram.

- ``mean``: the mean over interviews (each interview counts once, whatever its number of raters).
- ``ci_low``/``ci_high``: a 95% percentile bootstrap interval of that mean, resampling interviews
  with replacement, ``replicates`` times, from ``numpy.random.default_rng(seed)``. Resampling n
  interviews from a histogram is drawing multinomial counts over its distinct values, which is
  exactly the ordinary bootstrap; it is done that way when the cell has many interviews (its cost
  grows with the number of distinct values, not with n) and by drawing interview indices
  otherwise. Either way the same histogram and seed give the same interval. Undefined (None)
  below two interviews.
- quartiles, whiskers (the most extreme values within 1.5 IQR of the box, Tukey) and the range,
  with numpy's default (linear) quantile definition over the expanded values.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields
from typing import Final

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

DEFAULT_REPLICATES: Final = 1000
CONFIDENCE: Final = 0.95
# Drawing an interview index costs about a twentieth of a binomial draw.
_INDEX_DRAWS_PER_BINOMIAL: Final = 20


@dataclass(frozen=True)
class CellStats:
    n: int
    mean: float | None
    ci_low: float | None
    ci_high: float | None
    sd: float | None
    minimum: float | None
    q1: float | None
    median: float | None
    q3: float | None
    maximum: float | None
    whisker_low: float | None
    whisker_high: float | None

    def as_dict(self) -> dict[str, float | int | None]:
        return {name: getattr(self, name) for name in _FIELDS}


_FIELDS: Final = tuple(f.name for f in fields(CellStats))
EMPTY: Final = CellStats(0, None, None, None, None, None, None, None, None, None, None, None)


def seed_for(key: str) -> int:
    """A stable 63-bit seed from a cell's name, so a cell's interval is the same on every run."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") >> 1


def histogram(values: npt.ArrayLike) -> tuple[FloatArray, IntArray]:
    """Distinct values (ascending) and their counts; NaN is dropped (a missing consensus)."""
    array = np.asarray(values, dtype=np.float64)
    array = array[~np.isnan(array)]
    distinct, counts = np.unique(array, return_counts=True)
    return distinct.astype(np.float64), counts.astype(np.int64)


def _bootstrap_means(values: FloatArray, counts: IntArray, n: int, replicates: int,
                     rng: np.random.Generator) -> FloatArray:
    k = values.size
    if n <= _INDEX_DRAWS_PER_BINOMIAL * k:
        expanded = np.repeat(values, counts)
        means: FloatArray = expanded[rng.integers(0, n, size=(replicates, n))].mean(axis=1)
        return means
    # Conditional binomials: an exact multinomial draw, vectorized over replicates.
    remaining = np.full(replicates, n, dtype=np.int64)
    totals = np.zeros(replicates)
    left = 1.0
    for value, count in zip(values[:-1], counts[:-1], strict=True):
        share = count / n
        drawn = rng.binomial(remaining, min(1.0, share / left)) if left > 0 else np.zeros(replicates, np.int64)
        totals += drawn * value
        remaining -= drawn
        left -= share
    totals += remaining * values[-1]
    return totals / n


def resampled_means(values: npt.ArrayLike, counts: npt.ArrayLike, *, replicates: int,
                    rng: np.random.Generator) -> FloatArray:
    """`replicates` bootstrap means of one cell's histogram (its interviews resampled with replacement)."""
    v = np.asarray(values, dtype=np.float64)
    c = np.asarray(counts, dtype=np.int64)
    keep = c > 0
    v, c = v[keep], c[keep]
    order = np.argsort(v, kind="stable")
    n = int(c.sum())
    if n == 0:
        raise ValueError("an empty cell has no bootstrap")
    return _bootstrap_means(v[order], c[order], n, replicates, rng)


def _quantiles(values: FloatArray, counts: IntArray, n: int, qs: tuple[float, ...]) -> list[float]:
    """numpy's default (linear) quantiles of the expanded values, read off the cumulative counts."""
    cumulative = np.cumsum(counts)
    positions = (n - 1) * np.asarray(qs)
    lower = np.floor(positions).astype(np.int64)
    upper = np.minimum(lower + 1, n - 1)
    low_values = values[np.searchsorted(cumulative, lower, side="right")]
    high_values = values[np.searchsorted(cumulative, upper, side="right")]
    return [float(x) for x in low_values + (positions - lower) * (high_values - low_values)]


def summarize(values: npt.ArrayLike, counts: npt.ArrayLike, *, seed: int,
              replicates: int = DEFAULT_REPLICATES, confidence: float = CONFIDENCE) -> CellStats:
    """Statistics of one cell from its histogram (values need not be sorted or distinct)."""
    values = np.asarray(values, dtype=np.float64)
    counts = np.asarray(counts, dtype=np.int64)
    if values.shape != counts.shape:
        raise ValueError("values and counts differ in shape")
    keep = counts > 0
    if np.any(counts < 0) or not np.all(np.isfinite(values[keep])):
        raise ValueError("counts must be non-negative and values finite")
    values, counts = values[keep], counts[keep]
    order = np.argsort(values, kind="stable")
    values, counts = values[order], counts[order]
    if values.size > 1 and np.any(values[1:] == values[:-1]):
        distinct, inverse = np.unique(values, return_inverse=True)
        counts = np.bincount(inverse, weights=counts).astype(np.int64)
        values = distinct
    n = int(counts.sum())
    if n == 0:
        return EMPTY
    mean = float(np.dot(values, counts) / n)
    q1, median, q3 = _quantiles(values, counts, n, (0.25, 0.5, 0.75))
    iqr = q3 - q1
    # Tukey fences, widened by a rounding tolerance: values that differ only by float noise (means
    # computed in SQL, e.g. 3.6999999999999997 and 3.7000000000000006) can otherwise both fall outside.
    slack = 1e-9 * max(1.0, float(np.abs(values).max()))
    inside = values[(values >= q1 - 1.5 * iqr - slack) & (values <= q3 + 1.5 * iqr + slack)]
    if inside.size == 0:
        inside = values
    sd = float(np.sqrt(np.dot(counts, (values - mean) ** 2) / (n - 1))) if n > 1 else None
    ci_low = ci_high = None
    if n > 1:
        if values.size == 1:
            ci_low = ci_high = mean
        else:
            rng = np.random.default_rng(seed)
            means = np.sort(_bootstrap_means(values, counts, n, replicates, rng))
            tail = (1.0 - confidence) / 2.0
            ci_low, ci_high = _quantiles(means, np.ones(replicates, dtype=np.int64), replicates, (tail, 1.0 - tail))
    return CellStats(n=n, mean=mean, ci_low=ci_low, ci_high=ci_high, sd=sd,
                     minimum=float(values[0]), q1=q1, median=median, q3=q3, maximum=float(values[-1]),
                     whisker_low=float(inside.min()), whisker_high=float(inside.max()))


def rank_descending(means: list[float | None]) -> list[int | None]:
    """Competition ranks (1 = highest mean; ties share the better rank); None stays unranked."""
    present = sorted((m for m in means if m is not None), reverse=True)
    return [None if m is None else 1 + sum(1 for other in present if other > m) for m in means]


# 97.5th percentile of the standard normal: the two-sided 95% interval's z.
Z_95: Final = 1.959963984540054


def wilson_interval(successes: float, n: int, z: float = Z_95) -> tuple[float, float] | None:
    """Wilson's score interval for a share (Wilson 1927; Newcombe 1998, method 3). None when n is 0.

    Unlike the bootstrap it stays informative at shares of 0 or 1 and in small cells, where the
    coverage page's shares often are. `successes` may be fractional (interviews split between raters).
    """
    if n <= 0:
        return None
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * float(np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)
