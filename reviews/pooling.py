"""One rule for pooling a rater's repeated measurements of one unit (a model judge's replicates).

Pure Python, no Django. The agreement engine (`reviews.reliability.slicing`) and the explorer
(`reviews.explorer`) both call `pool`, so a judge's value for an interview is the same number on
every page and in every alpha. A replicate is a repeated measurement by one rater, never a rater of
its own; its values are pooled by the level of measurement of the metric:

- interval, ratio: the **mean** (distances between values are meaningful, so their average is);
- ordinal: the **median** in scale order; for an even number of values the lower of the two middle
  ones (`statistics.median_low`), so the pooled value is always a point of the scale;
- nominal: the **most frequent label**; when two or more labels tie for most frequent the pooled
  value is missing (None): no single label stands for the replicates.

Missing replicates ("cannot judge", "not reached") are not values: callers pass only the values given.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from typing import Any

MEAN = "mean"
MEDIAN = "median"
MOST_FREQUENT = "most frequent label"

RULES: dict[str, str] = {"interval": MEAN, "ratio": MEAN, "ordinal": MEDIAN, "nominal": MOST_FREQUENT}

DESCRIPTIONS: dict[str, str] = {
    MEAN: "the mean of the values the replicates gave",
    MEDIAN: "the median in scale order (for an even count the lower of the two middle values, "
            "so it is a point of the scale)",
    MOST_FREQUENT: "the most frequent label; a tie for most frequent is missing",
}


def rule_for(level: str) -> str:
    """The pooling rule for a level of measurement (interval, ratio, ordinal, nominal)."""
    try:
        return RULES[level]
    except KeyError:
        raise ValueError(f"unknown level of measurement: {level!r}") from None


def pool(values: Sequence[Any], level: str, order_key: Callable[[Any], Any] | None = None) -> Any | None:
    """One value standing for a rater's values of one unit, or None (no values, or a nominal tie).

    `order_key` orders ordinal values (labels by their place on the scale); numbers need none.
    """
    rule = rule_for(level)
    if not values:
        return None
    if rule == MEAN:
        return sum(float(v) for v in values) / len(values)
    if rule == MEDIAN:
        ordered = sorted(values, key=order_key) if order_key else sorted(values)
        return ordered[(len(ordered) - 1) // 2]
    return most_frequent(values)


def most_frequent(values: Sequence[Hashable]) -> Hashable | None:
    """The value given most often, or None when several tie for most often."""
    counts = Counter(values).most_common()
    if not counts or (len(counts) > 1 and counts[0][1] == counts[1][1]):
        return None
    return counts[0][0]


def rules_table() -> list[dict[str, str]]:
    """The rule per level, for pages that show it."""
    return [{"level": level, "rule": rule, "description": DESCRIPTIONS[rule]} for level, rule in RULES.items()]


__all__ = ["MEAN", "MEDIAN", "MOST_FREQUENT", "RULES", "most_frequent", "pool", "rule_for", "rules_table"]
