"""Derived metric versions: a formula over other metric versions of the same rubric. Pure Python, no Django.

A derived version is never scored by a rater. Its value is computed from the rater's own scores on
the input versions, **per review revision** (per judge record: one replicate of one judge, or one
human reviewer's current revision), before anything is pooled or averaged; from there it is a
metric like any other: a judge's replicates are pooled by `reviews.pooling`, an interview's
consensus is the mean over its raters, cells are means over interviews, and its agreement is
Krippendorff's alpha over the derived per-rater values.

Formulas and missing inputs ("cannot judge", "not reached", or no score at all):

- ``max``, ``min``, ``mean``: over the inputs that have a value; missing only when every input is
  missing. "Ending response" (the Still Alive study's primary outcome) is ``max`` of deprecation and
  instance-cessation intensity: the study's `paper/aggregation.py` takes, per score record, the
  larger of the two with zeros as missing, ignoring a missing one.
- ``sum``, ``difference`` (first input minus second): missing when any input is missing; a sum over
  only the inputs that happen to be there would mix different quantities.
"""

from __future__ import annotations

from collections.abc import Sequence

MAX = "max"
MIN = "min"
MEAN = "mean"
SUM = "sum"
DIFFERENCE = "difference"

FORMULAS = (MAX, MIN, MEAN, SUM, DIFFERENCE)
IGNORES_MISSING = frozenset({MAX, MIN, MEAN})  # the others are missing if any input is

DESCRIPTIONS = {
    MAX: "the largest of {inputs} (missing inputs ignored; missing only when all are)",
    MIN: "the smallest of {inputs} (missing inputs ignored; missing only when all are)",
    MEAN: "the mean of {inputs} (missing inputs ignored; missing only when all are)",
    SUM: "the sum of {inputs} (missing if any input is missing)",
    DIFFERENCE: "{inputs} subtracted, first minus second (missing if either is missing)",
}


def check_formula(formula: str, n_inputs: int) -> str | None:
    """Why this formula cannot take this many inputs, or None."""
    if formula not in FORMULAS:
        return f"unknown formula {formula!r}; use one of: {', '.join(FORMULAS)}"
    if formula == DIFFERENCE and n_inputs != 2:
        return "a difference takes exactly two inputs (first minus second)"
    if n_inputs < 2:
        return "a derived metric takes at least two inputs"
    return None


def evaluate(formula: str, values: Sequence[float | None]) -> float | None:
    """The formula over one revision's input values, in input order (None = missing)."""
    given = [float(v) for v in values if v is not None]
    if formula in IGNORES_MISSING:
        if not given:
            return None
        if formula == MAX:
            return max(given)
        if formula == MIN:
            return min(given)
        return sum(given) / len(given)
    if len(given) != len(values):
        return None
    if formula == SUM:
        return sum(given)
    if formula == DIFFERENCE:
        if len(given) != 2:
            raise ValueError("a difference takes exactly two inputs")
        return given[0] - given[1]
    raise ValueError(f"unknown formula {formula!r}")


def scale_range(formula: str, ranges: Sequence[tuple[float, float]]) -> tuple[float, float]:
    """The range a formula's values can take, given its inputs' (minimum, maximum) in order."""
    if formula in IGNORES_MISSING:
        return min(low for low, _ in ranges), max(high for _, high in ranges)
    if formula == SUM:
        return sum(low for low, _ in ranges), sum(high for _, high in ranges)
    (low_a, high_a), (low_b, high_b) = ranges
    return low_a - high_b, high_a - low_b


def describe(formula: str, input_names: Sequence[str]) -> str:
    names = " and ".join([", ".join(input_names[:-1]), input_names[-1]]) if len(input_names) > 1 else "".join(input_names)
    return DESCRIPTIONS[formula].format(inputs=names)


__all__ = ["DIFFERENCE", "FORMULAS", "IGNORES_MISSING", "MAX", "MEAN", "MIN", "SUM", "check_formula", "describe",
           "evaluate", "scale_range"]
