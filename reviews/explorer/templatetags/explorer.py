"""Formatting for explorer templates: numbers, intervals, marks, heat classes."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from reviews.pooling import rules_table

register = template.Library()


@register.simple_tag
def pooling_rules() -> list[dict[str, str]]:
    """How a judge's replicates become one value, per level of measurement: one rule (`reviews.pooling`)."""
    return rules_table()

FLAG_TEXT = {
    "few": ("few", "Few interviews: fewer than the minimum for a stable mean"),
    "low_agreement": ("low α", "Low agreement: reviewers' alpha in this slice is below the threshold"),
    "no_agreement": ("α n/a", "No agreement figure for this slice yet (e.g. fewer than two raters, or not reviewed)"),
    "one_interviewer": ("1 interviewer", "Only one interviewer produced this: it may be that interviewer's pattern"),
}


@register.filter
def num(value: Any, digits: int = 2) -> str:
    if value is None or value == "":
        return "—"
    try:
        return f"{float(value):.{int(digits)}f}"
    except (TypeError, ValueError):
        return "—"


@register.filter
def pct(value: Any) -> str:
    if value is None:
        return "—"
    return f"{100 * float(value):.0f}%"


def _bracket(numbers: dict | None, missing: str) -> str:
    if not numbers or numbers.get("ci_low") is None:
        return missing
    return f"[{numbers['ci_low']:.2f}, {numbers['ci_high']:.2f}]"


@register.filter
def interval(cell: dict | None) -> str:
    return _bracket(cell, "CI n/a")


@register.filter
def alpha(result: dict | None) -> str:
    if not result or result.get("alpha") is None:
        return "α n/a"
    return f"α {result['alpha']:.2f}"


@register.filter
def alpha_interval(result: dict | None) -> str:
    return _bracket(result, "")


Q_TITLE = ("Krippendorff's q: the bootstrap probability that alpha is below 0.667 (first) and below 0.800 "
           "(second) — the share of resamples of interviews whose alpha falls under each threshold")
SMALL_TITLE = "Fewer than 30 pairable interviews: percentile intervals under-cover at this size"


def _q(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


@register.filter
def alpha_q(result: dict | None) -> str:
    """Krippendorff's q beside a stored alpha ("q<.667 .12 · q<.800 .85") and the small-sample mark; "" when none."""
    if not result or result.get("alpha") is None:
        return ""
    parts = []
    if result.get("q_below_667") is not None:
        parts.append(format_html('<span class="q" title="{}"><span class="q-part">P(α&lt;.667) {}</span><span class="q-sep"> · </span>'
                                 '<span class="q-part">P(α&lt;.800) {}</span></span>', Q_TITLE,
                                 _q(result["q_below_667"]), _q(result.get("q_below_800"))))
    if result.get("small_sample"):
        parts.append(format_html('<span class="mark mark-small_sample" title="{}">small sample</span>', SMALL_TITLE))
    return format_html_join(" ", "{}", ((p,) for p in parts)) if parts else ""


@register.filter
def heat(cell: dict | None, metric: dict) -> str:
    """A colour class from the cell's mean on the metric's scale (10 steps)."""
    if not cell or cell.get("mean") is None:
        return "heat-none"
    low, high = metric.get("minimum"), metric.get("maximum")
    if low is None or high is None or high <= low:
        return "heat-none"
    step = round(9 * (cell["mean"] - low) / (high - low))
    return f"heat-{min(9, max(0, step))}"


@register.filter
def share_heat(share: float | None) -> str:
    if share is None:
        return "heat-none"
    return f"miss-{min(9, max(0, round(9 * share)))}"


@register.filter
def label_heat(share: float | None) -> str:
    """A label's share on the blue scale (0% lightest, 100% darkest): a share, not something missing."""
    if share is None:
        return "heat-none"
    return f"heat-{min(9, max(0, round(9 * share)))}"


@register.filter
def marks(cell: dict | None) -> str:
    if not cell or not cell.get("flags"):
        return ""
    # "α n/a" is already spelled out beside n, styled as a mark (see _cell.html).
    return format_html_join(" ", '<span class="mark mark-{}" title="{}">{}</span>',
                            ((flag, FLAG_TEXT[flag][1], FLAG_TEXT[flag][0]) for flag in cell["flags"]
                             if flag in FLAG_TEXT and flag != "no_agreement"))


@register.filter
def flagged(cell: dict | None) -> str:
    if not cell:
        return ""
    return " ".join(f"is-{flag.replace('_', '-')}" for flag in cell.get("flags", []))


@register.filter
def scale_label(value: float | None, metric: dict) -> str:
    """For ordinal metrics, the nearest level's name beside the mean position."""
    labels = metric.get("labels") or []
    if value is None or not labels:
        return ""
    index = min(len(labels) - 1, max(0, round(value)))
    return labels[index]


@register.simple_tag
def mark_legend() -> str:
    """Marks as badges, and as they look in dense tables (outline / side bar) and charts (hollow point)."""
    return format_html_join("", '<li><span class="swatch cell-swatch is-{}"></span><span class="mark mark-{}">{}</span> {}</li>',
                            ((flag.replace("_", "-"), flag, short, text) for flag, (short, text) in FLAG_TEXT.items()))


@register.filter
def get(mapping: dict | None, key: Any) -> Any:
    if not mapping:
        return None
    return mapping.get(key, mapping.get(str(key)))


@register.filter
def contains(container: Any, item: Any) -> bool:
    return container is not None and item in container


@register.simple_tag
def model_name(model: dict) -> str:
    if model.get("retired"):
        return format_html('{} <span class="badge muted" title="Retired by its provider">retired</span>', model["name"])
    return format_html("{}", model["name"])


@register.filter
def slice_item(items: Any, index: int) -> Any:
    try:
        return items[int(index)]
    except (IndexError, TypeError, ValueError):
        return None


@register.simple_tag
def cell(cell: dict | None, metric: dict, show_rank: bool = False, compact: bool = False) -> str:
    """One table cell: mean (linked to its interviews), interval, n, α and marks. A tag, not an include:
    a metric page has hundreds of these."""
    if not cell:
        return mark_safe('<td class="cell empty-cell"><span class="visually-hidden">no data</span>—</td>')
    level = ""
    if metric.get("labels") and not compact:
        level = format_html('<span class="level">{}</span>', scale_label(cell["mean"], metric))
    alpha_part = ""
    if not compact:
        result = cell.get("alpha")
        if not result or result.get("alpha") is None:
            alpha_part = format_html(' · <span class="mark mark-no_agreement" title="{}">α n/a</span>',
                                     FLAG_TEXT["no_agreement"][1])
        else:
            alpha_part = format_html(" · {}", alpha(result))
    rank = ""
    if show_rank and cell.get("rank"):
        rank = format_html('<span class="rank" title="Rank among models under this interviewer">#{}</span>',
                           cell["rank"])
    badges = "" if compact else marks(cell)
    plural = "" if cell["n"] == 1 else "s"
    return format_html(
        '<td class="cell {} {}"><a class="cell-link" href="{}" title="See the {} interview{} behind this number">'
        '<span class="mean">{}</span>{}<span class="ci">{}</span><span class="nalpha">n={}{}</span></a>{}{}</td>',
        heat(cell, metric), flagged(cell), cell["drilldown"], cell["n"], plural, num(cell["mean"]), level,
        interval(cell), cell["n"], alpha_part, rank,
        format_html('<span class="marks">{}</span>', badges) if badges else "")


@register.filter
def label(name: str) -> str:
    """A factor name as a heading: "disclosure_depth" → "Disclosure depth"."""
    text = str(name).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


@register.filter
def rank(value: Any) -> str:
    """An average rank: whole ranks as integers ("3"), shared ranks with one decimal ("2.5")."""
    if value is None:
        return "—"
    number = round(float(value), 1)  # a percentile between two ranks, e.g. 10.975, shows as 11
    return f"{number:.0f}" if number == round(number) else f"{number:.1f}"


@register.filter
def rank_interval(bounds: list | None) -> str:
    if not bounds:
        return ""
    low, high = rank(bounds[0]), rank(bounds[1])
    return f"[{low}]" if low == high else f"[{low}–{high}]"


@register.filter
def bounds(pair: list | None) -> str:
    """A [low, high] list as "[0.12, 0.80]" (rho, tau and balanced-mean intervals)."""
    return _bracket({"ci_low": pair[0], "ci_high": pair[1]} if pair else None, "CI n/a")


@register.filter
def alpha_with_n(result: dict | None) -> str:
    """A stored alpha with its interval and units ("α 0.72 [0.60, 0.81] · 40 interviews"), or "—" when none."""
    if not result:
        return format_html('<span class="muted" title="{}">—</span>', "No agreement result stored for this slice")
    if result.get("alpha") is None:
        return format_html('<span class="muted" title="{}">α undefined ({})</span>',
                           "Alpha is undefined for this slice", result.get("reason") or "not computed")
    units = result.get("units")
    return format_html('{} <span class="small">{}</span> <span class="muted small">· {} interview{}</span> {}',
                       alpha(result), alpha_interval(result), units, "" if units == 1 else "s", alpha_q(result))


@register.filter
def share_interval(cell: dict | None) -> str:
    """A share's 95% interval in percent: "[24%–76%]"."""
    if not cell or cell.get("ci_low") is None:
        return "CI n/a"
    return f"[{pct(cell['ci_low'])}–{pct(cell['ci_high'])}]"
