"""Chart data for the pages' scripts, cut from the same selector output the tables show."""

from __future__ import annotations

from typing import Any


def _point(cell: dict | None) -> dict[str, Any] | None:
    if not cell:
        return None
    return {"mean": cell["mean"], "lo": cell["ci_low"], "hi": cell["ci_high"], "n": cell["n"],
            "flagged": bool(cell.get("flags")), "flags": cell.get("flags", []), "url": cell.get("drilldown")}


def _axis(metric: dict) -> dict[str, Any]:
    return {"min": metric.get("minimum"), "max": metric.get("maximum"), "labels": metric.get("labels") or []}


def overview(data: dict) -> list[dict[str, Any]]:
    models = [m["name"] for m in data["models"]]
    return [{"id": f"metric-{row['metric']['id']}", "title": f"{row['metric']['name']} (v{row['metric']['version']})",
             "categories": models, "axis": _axis(row["metric"]),
             "series": [{"label": "Mean (95% CI)", "points": [_point(c) for c in row["cells"]]}]}
            for row in data["rows"]]


def distribution(data: dict) -> dict[str, Any]:
    models = []
    for row in data["rows"]:
        cell = row["all"]
        if not cell:
            continue
        models.append({"name": row["model"]["name"], "url": cell["drilldown"], "n": cell["n"], "mean": cell["mean"],
                       "q1": cell["q1"], "median": cell["median"], "q3": cell["q3"],
                       "whisker_low": cell["whisker_low"], "whisker_high": cell["whisker_high"],
                       "histogram": cell.get("histogram", []), "flagged": bool(cell["flags"])})
    return {"axis": _axis(data["metric"]), "models": models}


def by_interviewer(data: dict) -> dict[str, Any]:
    return {"axis": _axis(data["metric"]), "categories": [r["model"]["name"] for r in data["rows"]],
            "series": [{"label": f"{c['label']} ({c['detail']})" if c["detail"] else c["label"],
                        "points": [_point(r["by_interviewer"][k]) for r in data["rows"]]}
                       for k, c in enumerate(data["interviewer_columns"])]}


def by_condition(data: dict, factor: dict) -> dict[str, Any]:
    return {"axis": _axis(data["metric"]), "categories": [r["model"]["name"] for r in factor["rows"]],
            "series": [{"label": level, "points": [_point(r["cells"][k]) for r in factor["rows"]]}
                       for k, level in enumerate(factor["levels"])]}


def coverage(data: dict) -> dict[str, Any]:
    """Only metrics some interviewer's interviews left unscored; fully covered ones would be empty bars."""
    rows = sorted((r for r in data["rows"] if r["largest_share_missing"] > 0),
                  key=lambda r: -r["largest_share_missing"])
    series = []
    for k, interviewer in enumerate(data["interviewers"]):
        points = []
        for row in rows:
            cell = row["cells"][k]
            points.append(None if not cell else {"mean": cell["share_missing"], "lo": None, "hi": None,
                                                 "n": cell["assessed"], "flagged": False, "flags": [],
                                                 "url": cell["drilldown_missing"]})
        series.append({"label": interviewer["label"], "points": points})
    return {"axis": {"min": 0, "max": 1, "labels": [], "percent": True},
            "categories": [f"{r['metric']['name']} v{r['metric']['version']}" for r in rows], "series": series}


def agreement(data: dict, threshold: float) -> dict[str, Any]:
    categories = [f"{m['metric']['name']} v{m['metric']['version']}" for m in data["metrics"]]
    series = []
    for key, label in (("all", "All raters"), ("human", "Human reviewers"), ("judge", "Model judges"),
                       ("human_judge", "Human panel vs judge panel")):
        points = []
        for m in data["metrics"]:
            r = m[key]
            points.append(None if not r or r["alpha"] is None else
                          {"mean": r["alpha"], "lo": r["ci_low"], "hi": r["ci_high"], "n": r["units"],
                           "flagged": r["alpha"] < threshold, "flags": [], "url": m["drilldown"][key]})
        if any(points):
            series.append({"label": label, "points": points})
    return {"axis": {"min": None, "max": 1, "labels": []}, "categories": categories, "series": series,
            "threshold": threshold}
