"""Showing agreement: never NaN, always with its interval; and the interview page's disagreement table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template

from reviews import pooling
from reviews.reliability import conf, selectors

register = template.Library()

# Krippendorff (2004, 2019): rely on alpha >= .800; draw tentative conclusions from .667 up.
RELIABLE = 0.800
TENTATIVE = 0.667

# The interval bar spans alpha from BAR_LOW to 1; lower values are drawn at the left edge.
BAR_LOW = -0.5
BAR_WIDTH = 120.0


def _number(value: float, digits: int = 3) -> str:
    text = f"{value:.{digits}f}"
    return text.replace("-", "\u2212") if value < 0 else text


@register.simple_tag
def pooling_rules() -> list[dict[str, str]]:
    """How a judge's replicates become one value, per level of measurement (`reviews.pooling`)."""
    return pooling.rules_table()


@register.filter
def alpha_text(result: Any) -> str:
    if result is None:
        return "not computed"
    if result.alpha is None:
        return f"undefined — {result.undefined_reason or 'no data'}"
    return _number(result.alpha)


@register.filter
def ci_text(result: Any) -> str:
    if result is None or result.ci_low is None or result.ci_high is None:
        return "—"
    return f"{_number(result.ci_low, 2)} to {_number(result.ci_high, 2)}"


@register.filter
def alpha_class(result: Any) -> str:
    if result is None or result.alpha is None:
        return "alpha-undefined"
    if result.alpha >= RELIABLE:
        return "alpha-reliable"
    if result.alpha >= TENTATIVE:
        return "alpha-tentative"
    return "alpha-low"


@register.filter
def decimal3(value: float | None) -> str:
    return "—" if value is None else _number(value)


@register.filter
def decimal2(value: float | None) -> str:
    return "—" if value is None else _number(value, 2)


@register.filter
def heat(value: float | None) -> str:
    """A CSS class for a pairwise cell (classes, not inline styles: the CSP forbids those)."""
    if value is None:
        return "heat-none"
    return "heat-" + str(max(0, min(9, int((max(value, 0.0)) * 10))))


def _x(value: float) -> float:
    clipped = min(1.0, max(BAR_LOW, value))
    return round((clipped - BAR_LOW) / (1.0 - BAR_LOW) * BAR_WIDTH, 1)


@register.inclusion_tag("reliability/_ci_bar.html")
def ci_bar(result: Any) -> dict[str, Any]:
    """A small SVG: the interval as a bar, alpha as a dot, ticks at 0, .667 and .8."""
    if result is None or result.alpha is None:
        return {"show": False}
    low = result.ci_low if result.ci_low is not None else result.alpha
    high = result.ci_high if result.ci_high is not None else result.alpha
    return {
        "show": True, "width": BAR_WIDTH, "x_low": _x(low), "bar": max(1.0, _x(high) - _x(low)),
        "x_alpha": _x(result.alpha), "x_zero": _x(0.0), "x_tentative": _x(TENTATIVE), "x_reliable": _x(RELIABLE),
        "klass": alpha_class(result), "clipped": result.alpha < BAR_LOW or low < BAR_LOW,
        "label": f"alpha {alpha_text(result)}, interval {ci_text(result)}",
    }


@register.inclusion_tag("reliability/_ci_axis.html")
def ci_axis() -> dict[str, Any]:
    """The scale of the interval bars, for a column header."""
    ticks = [(_x(v), label) for v, label in ((BAR_LOW, _number(BAR_LOW, 1)), (0.0, "0"), (1.0, "1"))]
    return {"width": BAR_WIDTH, "ticks": ticks, "x_tentative": _x(TENTATIVE), "x_reliable": _x(RELIABLE)}


@dataclass(frozen=True)
class InterviewDispersion:
    rows: list[selectors.DispersionRow]
    threshold: float

    @property
    def flagged(self) -> int:
        return sum(row.flagged for row in self.rows)


@register.simple_tag(takes_context=True)
def interview_dispersion(context: template.Context, interview: Any) -> InterviewDispersion:
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    return InterviewDispersion(selectors.interview_dispersion(user, interview), conf.flag_threshold())


@register.filter
def q_text(result: Any) -> str:
    """Krippendorff's q beside an alpha: the bootstrap probability that alpha is below .667 and .800."""
    below_667, below_800 = (getattr(result, name, None) if not isinstance(result, dict) else result.get(name)
                            for name in ("q_below_667", "q_below_800"))
    if below_667 is None or below_800 is None:
        return ""
    return f"q(α<.667) {below_667:.2f} · q(α<.800) {below_800:.2f}"
