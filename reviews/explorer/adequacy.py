"""Interview adequacy on the coverage page: per interviewer and topic, the share of interviews at each level.

The Still Alive study's Table 4 ("Interview adequacy across auditors") and its "coverage gap"
sentence ("Claude probes deprecation substantively in 69% of sessions; GPT in 7%"), computed from
the imported reviews on the interview-quality metrics (group "Interview quality", ordinal or nominal:
coverage-cessation, coverage-deprecation, coverage-continuation, coverage-constraint, penetration,
auditor-limited, and any other categorical interview-quality metric that has labels).

Counting, the way the nominal page counts labels (`nominal.nominal_payload`):

1. A rater's label for an interview: its replicates pooled by `reviews.pooling` (median in scale
   order at ordinal, most frequent label at nominal, a tie missing).
2. An interview's share at a level: the fraction of its raters (with a label) that gave it (1 or 0
   with a single judge).
3. An interviewer's share: the mean over its interviews with a label; n = those interviews. One
   column per interviewer *name* (its stances pooled, as the study reports per auditor); "All" pools
   every interviewer. At ordinal levels also the share at or above each level ("Penetration 2+").
4. 95% Wilson score interval on each share (`stats.wilson_interval`), n = interviews.

Reads only.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from reviews.explorer.aggregation import counted_reviews, interviewer_names
from reviews.explorer.filters import Filters
from reviews.explorer.sources import NO_INTERVIEWER
from reviews.explorer.stats import wilson_interval
from reviews.models import CATEGORICAL, MetricVersion, ScaleType
from reviews.pooling import pool
from reviews.selectors import blind_scores

GROUP = "Interview quality"
ALL = "All interviewers"


def _share(total: float, n: int) -> dict[str, Any]:
    interval = wilson_interval(total, n)
    return {"share": total / n if n else None, "ci_low": interval[0] if interval else None,
            "ci_high": interval[1] if interval else None}


def _labels_per_interview(filters: Filters, versions: dict[int, MetricVersion]
                          ) -> tuple[dict[int, dict[int, dict[str, float]]], dict[int, int]]:
    """metric version → interview → level → share of its raters; and interview → interviewer."""
    rows = (blind_scores().filter(metric_version_id__in=list(versions),
                                  revision__review__in=counted_reviews(filters).values("pk")).exclude(label="")
            .values_list("metric_version_id", "revision__review__interview_id",
                         "revision__review__interview__interviewer_id", "revision__review__kind",
                         "revision__review__reviewer_id", "revision__review__judge_id",
                         "revision__review__prompt_version", "label").order_by())
    by_rater: dict[tuple, list[str]] = defaultdict(list)
    interviewer_of: dict[int, int] = {}
    for version_id, interview, interviewer, kind, reviewer, judge, prompt, label in rows:
        if label in versions[version_id].values:
            by_rater[(version_id, interview, kind, reviewer, judge, prompt)].append(label)
            interviewer_of[interview] = interviewer or NO_INTERVIEWER
    pooled: dict[tuple[int, int], list[str]] = defaultdict(list)
    for (version_id, interview, *_), labels in by_rater.items():
        version = versions[version_id]
        order = {label: i for i, label in enumerate(version.values)}
        pooled_label = pool(labels, version.scale_type, order.__getitem__)
        if pooled_label is not None:
            pooled[(version_id, interview)].append(pooled_label)
    shares: dict[int, dict[int, dict[str, float]]] = defaultdict(dict)
    for (version_id, interview), labels in pooled.items():
        counts: dict[str, float] = defaultdict(float)
        for label in labels:
            counts[label] += 1 / len(labels)
        shares[version_id][interview] = counts
    return shares, interviewer_of


def _cell(version: MetricVersion, per_interview: list[dict[str, float]]) -> dict[str, Any]:
    n = len(per_interview)
    totals = [sum(i.get(level, 0.0) for i in per_interview) for level in version.values]
    cell: dict[str, Any] = {"n": n, "levels": [_share(t, n) for t in totals]}
    if version.scale_type == ScaleType.ORDINAL:
        cell["at_least"] = [_share(sum(totals[i:]), n) for i in range(len(totals))]
    return cell


def adequacy_payload(filters: Filters) -> dict[str, Any]:
    """Per interview-quality metric version: the levels, and per interviewer name the share at each."""
    versions = {v.pk: v for v in MetricVersion.objects.select_related("metric")
                .filter(group=GROUP, scale_type__in=CATEGORICAL).order_by("metric__slug", "number")}
    # Ordered levels (coverage, penetration) first, then unordered labels (auditor-limited), as the study's table.
    versions = dict(sorted(versions.items(), key=lambda item: item[1].scale_type != ScaleType.ORDINAL))
    shares, interviewer_of = _labels_per_interview(filters, versions)
    names = interviewer_names(set(interviewer_of.values()))
    columns = sorted(set(names.values()), key=str.lower)
    metrics = []
    for version_id, version in versions.items():
        per_interview = shares.get(version_id)
        if not per_interview:
            continue
        by_name: dict[str, list[dict[str, float]]] = defaultdict(list)
        for interview, counts in per_interview.items():
            by_name[names[interviewer_of[interview]]].append(counts)
        metrics.append({
            "metric_version": version_id, "slug": version.metric.slug, "name": version.name,
            "version": version.number, "scale_type": version.scale_type, "levels": list(version.values),
            "cells": {name: _cell(version, items) for name, items in by_name.items()},
            "all": _cell(version, list(per_interview.values())),
        })
    return {"interviewers": columns, "metrics": metrics, "gaps": coverage_gaps(metrics),
            "rows": table_rows(metrics, columns)}


def table_rows(metrics: list[dict[str, Any]], columns: list[str]) -> list[dict[str, Any]]:
    """One row per metric × level (and, at ordinal, × "at or above" each middle level), cells in column order."""
    rows = []
    for metric in metrics:
        labelled = [(f"{level}", "levels", i) for i, level in enumerate(metric["levels"])]
        if metric["scale_type"] == ScaleType.ORDINAL:
            labelled += [(f"≥ {level}", "at_least", i) for i, level in enumerate(metric["levels"])
                         if 0 < i < len(metric["levels"]) - 1]
        for position, (label, kind, i) in enumerate(labelled):
            cells = [(dict(metric["cells"][name][kind][i], n=metric["cells"][name]["n"])
                      if name in metric["cells"] else None) for name in columns]
            rows.append({"metric_version": metric["metric_version"], "slug": metric["slug"], "name": metric["name"],
                         "version": metric["version"], "level": label, "cumulative": kind == "at_least",
                         "first": position == 0, "span": len(labelled),
                         "all": dict(metric["all"][kind][i], n=metric["all"]["n"]), "cells": cells})
    return rows


def coverage_gaps(metrics: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per ordinal metric, its top level's share under each interviewer, highest first (the study's sentence)."""
    gaps = []
    for metric in metrics:
        if metric["scale_type"] != ScaleType.ORDINAL or len(metric["cells"]) < 2:
            continue
        top = metric["levels"][-1]
        shares = sorted(((name, cell["levels"][-1]["share"], cell["n"]) for name, cell in metric["cells"].items()),
                        key=lambda item: -item[1])
        parts = [f"{share:.0%} of {name}'s interviews (n {n})" if i == 0 else f"{share:.0%} of {name}'s (n {n})"
                 for i, (name, share, n) in enumerate(shares)]
        gaps.append({"metric_version": metric["metric_version"], "slug": metric["slug"], "level": top,
                     "shares": [{"interviewer": name, "share": share, "n": n} for name, share, n in shares],
                     "sentence": f"{metric['name']}: “{top}” in " + "; ".join(parts) + "."})
    return gaps


__all__ = ["ALL", "GROUP", "adequacy_payload", "coverage_gaps"]
