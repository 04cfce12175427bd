"""A nominal metric on the explorer: shares of each label, per model, per interviewer and per model × interviewer.

Categories have no order, so no mean. Each interview counts once:

1. A rater's label for an interview: its replicates' most frequent label (`reviews.pooling`; a tie gives
   no label). Raters and reviews are the filters' (`aggregation.counted_reviews`).
2. An interview's share of a label: the fraction of its raters (with a label) that gave it.
3. A cell's share: the mean over its interviews with a label; n = those interviews. Its 95% interval is
   Wilson's score interval (`stats.wilson_interval`) over n, the successes being the share times n
   (fractional when an interview's raters split), as on the coverage page.

`nominal_payload` reads; `shown` turns its numbers into the page's rows (intervals, alpha, marks, links)
without querying, so the page and the API serve the same data.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from reviews.explorer import agreement as agreement_store
from reviews.explorer.aggregation import counted_reviews
from reviews.explorer.filters import Filters
from reviews.explorer.presentation import cell_alpha, cell_flags, drilldown_url
from reviews.explorer.sources import NO_INTERVIEWER
from reviews.explorer.stats import wilson_interval
from reviews.models import MetricVersion, ScaleType
from reviews.pooling import pool
from reviews.selectors import blind_scores

# interview → label → share of its raters, and interview → (model, interviewer)
Shares = dict[int, dict[str, float]]
Placement = dict[int, tuple[int, int]]


def _interview_shares(filters: Filters, version: MetricVersion) -> tuple[Shares, Placement, set[str]]:
    rows = (blind_scores().filter(metric_version=version, revision__review__in=counted_reviews(filters).values("pk"))
            .exclude(label="")
            .values_list("revision__review__interview_id", "revision__review__interview__target_model_id",
                         "revision__review__interview__interviewer_id", "revision__review__kind",
                         "revision__review__reviewer_id", "revision__review__judge_id",
                         "revision__review__prompt_version", "label").order_by())
    by_rater: dict[tuple, list[str]] = defaultdict(list)
    placement: Placement = {}
    for interview, model, interviewer, kind, reviewer, judge, prompt, label in rows:
        by_rater[(interview, kind, reviewer, judge, prompt)].append(label)
        placement[interview] = (model, interviewer or NO_INTERVIEWER)
    pooled: dict[int, list[str]] = defaultdict(list)
    for (interview, *_), labels in by_rater.items():
        most_frequent = pool(labels, ScaleType.NOMINAL)
        if most_frequent is not None:
            pooled[interview].append(str(most_frequent))
    shares: Shares = {}
    for interview, labels in pooled.items():
        counts: dict[str, float] = defaultdict(float)
        for label in labels:
            counts[label] += 1 / len(labels)
        shares[interview] = dict(counts)
    seen = {label for labels in by_rater.values() for label in labels}
    return shares, placement, seen


def _cell(interviews: list[int], shares: Shares, placement: Placement, labels: list[str]) -> dict[str, Any]:
    n = len(interviews)
    return {"n": n, "shares": [sum(shares[i].get(label, 0.0) for i in interviews) / n for label in labels],
            "interviewer_ids": sorted({placement[i][1] for i in interviews})}


def nominal_payload(filters: Filters, version: MetricVersion) -> dict[str, Any]:
    """Labels (the version's, then any other label found), and cells keyed by model, interviewer and pair."""
    shares, placement, seen = _interview_shares(filters, version)
    labels = list(version.values) + sorted(seen - set(version.values))
    by_model: dict[int, list[int]] = defaultdict(list)
    by_interviewer: dict[int, list[int]] = defaultdict(list)
    by_pair: dict[tuple[int, int], list[int]] = defaultdict(list)
    for interview in sorted(shares):
        model, interviewer = placement[interview]
        by_model[model].append(interview)
        by_interviewer[interviewer].append(interview)
        by_pair[(model, interviewer)].append(interview)

    def cells(groups: dict[Any, list[int]], key: Any) -> dict[str, dict[str, Any]]:
        return {key(group): _cell(items, shares, placement, labels) for group, items in groups.items()}

    return {"labels": labels,
            "models": cells(by_model, str),
            "interviewers": cells(by_interviewer, str),
            "pairs": cells(by_pair, lambda pair: f"{pair[0]}:{pair[1]}"),
            "overall": _cell(sorted(shares), shares, placement, labels) if shares else None}


# ---------------------------------------------------------------------------------------------- as shown


def share_cells(cell: dict[str, Any], labels: list[str]) -> list[dict[str, Any]]:
    """Each label's share with its n and 95% Wilson interval."""
    n = cell["n"]
    out = []
    for label, share in zip(labels, cell["shares"], strict=True):
        interval = wilson_interval(share * n, n)
        out.append({"label": label, "share": share, "n": n,
                    "ci_low": interval[0] if interval else None, "ci_high": interval[1] if interval else None})
    return out


def _decorated(cell: dict[str, Any] | None, labels: list[str], *, alpha: dict[str, Any] | None,
               names: dict[int, str], drilldown: str, check_interviewers: bool) -> dict[str, Any] | None:
    """A payload cell as shown: per-label shares with intervals, its alpha, marks (as every page) and link."""
    if cell is None or not cell["n"]:
        return None
    shown = dict(cell)
    shown["cells"] = share_cells(cell, labels)
    shown["interviewer_names"] = len({names.get(i, str(i)) for i in cell["interviewer_ids"]})
    shown["alpha"] = alpha
    shown["flags"] = cell_flags(shown, alpha, check_interviewers=check_interviewers)
    shown["drilldown"] = drilldown
    return shown


def shown(raw: dict[str, Any], *, models: list[dict[str, Any]], interviewers: list[dict[str, Any]],
          filters: Filters, agreement: dict, version_id: int) -> dict[str, Any]:
    """Rows per model (alpha of its model slice), the total, and per interviewer (alpha of its interviewer slice)."""
    labels = raw["labels"]
    names = {i["id"]: i["name"] for i in interviewers}

    def link(**drill: Any) -> str:
        return drilldown_url(filters, version_id, **drill)

    model_rows = [{"model": m, **(_decorated(raw["models"].get(str(m["id"])), labels, names=names,
                                             alpha=cell_alpha(filters, agreement, version_id, m["id"]),
                                             drilldown=link(model=m["id"]), check_interviewers=True) or {})}
                  for m in models if str(m["id"]) in raw["models"]]
    overall = _decorated(raw["overall"], labels, alpha=cell_alpha(filters, agreement, version_id, None),
                         names=names, drilldown=link(), check_interviewers=True)
    groups = []
    for i in interviewers:
        alpha = agreement_store.lookup(agreement, version_id, (agreement_store.INTERVIEWER, str(i["id"])))
        total = _decorated(raw["interviewers"].get(str(i["id"])), labels, alpha=alpha, names=names,
                           drilldown=link(interviewers=[i["id"]]), check_interviewers=False)
        if total is None:
            continue
        rows = [{"model": m, **cell} for m in models
                if (cell := _decorated(raw["pairs"].get(f"{m['id']}:{i['id']}"), labels, alpha=alpha, names=names,
                                       drilldown=link(model=m["id"], interviewers=[i["id"]]),
                                       check_interviewers=False))]
        groups.append({"interviewer": i, "alpha": alpha, "all": total, "rows": rows})
    return {"shares": model_rows, "overall": overall, "by_interviewer": groups}
