"""Disagreement within each unit, for flagging units whose reviewers disagree.

``unit_dispersion``: per pairable unit, the mean distance delta² over its pairs of values, and the
same divided by D_e of the whole data (1 is chance-level disagreement; D_o/D_e = 1 - alpha is the
m_u-weighted mean of these ratios), plus the range and standard deviation of numeric values.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from reviews.agreement.alpha import _coincidences, _count_raters, _count_table, _differences, _layout, _result
from reviews.agreement.ratings import FloatArray, Ratings


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
