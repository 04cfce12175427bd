"""From payloads to page data: the rows, labels, flags and drill-down links the explorer shows.

`selectors` fetches (snapshots, live payloads, models, interviewers, stored agreement) and hands
the raw numbers here; nothing in this module queries the database. Pages and API serve what
comes out, so they show the same numbers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse

from commons.models import Interview
from reviews import derived
from reviews.explorer import agreement as agreement_store
from reviews.explorer import conf, rankings
from reviews.explorer.sources import DrillRow
from reviews.explorer.filters import Filters
from reviews.explorer.models import Scope
from reviews.models import MetricVersion, ScaleType

COLUMNS_EACH, COLUMNS_NAME = "each", "name"

# A cell decorator with the page's filters, stored agreement and interviewer names bound.
Decorate = Callable[..., dict[str, Any] | None]

# How the agreement page orders a metric's slices.
SLICE_ORDER = [agreement_store.ALL, agreement_store.REVIEWER_KIND, agreement_store.HUMAN_JUDGE,
               agreement_store.JUDGE_REPLICATES, agreement_store.MODEL, agreement_store.INTERVIEWER,
               agreement_store.STUDY, agreement_store.CONDITION]
HEADLINE_SLICES = {"all": (agreement_store.ALL, ""), "human": (agreement_store.REVIEWER_KIND, "human"),
                   "judge": (agreement_store.REVIEWER_KIND, "judge"), "human_judge": (agreement_store.HUMAN_JUDGE, "")}


# ---------------------------------------------------------------------------------------------- labels


def metric_info(version: MetricVersion) -> dict[str, Any]:
    numeric = version.scale_type in (ScaleType.INTERVAL, ScaleType.RATIO)
    return {
        "id": version.pk, "slug": version.metric.slug, "name": version.name, "version": version.number,
        "scale_type": version.scale_type, "group": version.group, "status": version.status,
        "labels": [] if numeric else list(version.values),
        "minimum": float(version.minimum) if numeric and version.minimum is not None else (0 if not numeric else None),
        "maximum": (float(version.maximum) if numeric and version.maximum is not None
                    else (max(len(version.values) - 1, 0) if not numeric else None)),
        "describe_scale": version.describe_scale(),
        "definition": version.definition,
        "derived": derived_info(version),
    }


def derived_info(version: MetricVersion) -> dict[str, Any] | None:
    """A derived version's formula and inputs (`reviews.derived`), or None for a version raters score."""
    if not version.is_derived:
        return None
    found = {v.pk: v for v in MetricVersion.objects.select_related("metric").filter(pk__in=version.formula_inputs)}
    inputs = [found[int(pk)] for pk in version.formula_inputs if int(pk) in found]
    return {"formula": version.formula,
            "inputs": [{"slug": v.metric.slug, "name": v.name, "version": v.number} for v in inputs],
            "description": derived.describe(version.formula, [f"{v.name} (v{v.number})" for v in inputs])}


def version_choices(versions: list[MetricVersion], with_data: dict[int, int], current: MetricVersion
                    ) -> list[dict[str, Any]]:
    """The metric's versions to switch between, each with its number of interviews (never pooled)."""
    return [{"id": v.pk, "number": v.number, "name": v.name, "status": v.status,
             "interviews": with_data.get(v.pk, 0), "current": v.pk == current.pk} for v in versions]


def page_meta(*, filters: Filters, materialized: bool, computed_at: str | None) -> dict[str, Any]:
    return {
        "filters": filters.as_dict(),
        "materialized": materialized,
        "computed_at": computed_at,
        "thresholds": {"min_interviews": conf.min_interviews(), "min_alpha": conf.min_alpha(),
                       "confidence": 0.95, "bootstrap_replicates": conf.bootstrap_replicates()},
    }


def drilldown_url(filters: Filters, version_id: int, *, model: int | None = None,
                  interviewers: tuple[int, ...] | list[int] = (), conditions: tuple[tuple[str, str], ...] = (),
                  missing: bool = False) -> str:
    pairs = [("metric_version", str(version_id))]
    if model is not None:
        pairs.append(("at.model", str(model)))
    pairs += [("at.interviewer", str(i)) for i in interviewers]
    pairs += [(f"at.cond.{factor}", level) for factor, level in conditions]
    if missing:
        pairs.append(("missing", "1"))
    query = urlencode(filters.params() + pairs)
    return f"{reverse('explorer:interviews')}?{query}"


# ---------------------------------------------------------------------------------------------- cells


def cell_flags(cell: dict[str, Any], alpha: dict[str, Any] | None, *, check_interviewers: bool) -> list[str]:
    flags = []
    if cell["n"] < conf.min_interviews():
        flags.append("few")
    if alpha is None or alpha.get("alpha") is None:
        flags.append("no_agreement")
    elif alpha["alpha"] < conf.min_alpha():
        flags.append("low_agreement")
    if check_interviewers and cell.get("interviewer_names", cell.get("interviewers")) == 1:
        flags.append("one_interviewer")
    return flags


def cell_alpha(filters: Filters, agreement: dict, version_id: int, model_id: int | None) -> dict[str, Any] | None:
    """The alpha shown beside a cell: among the raters the consensus used, in the cell's model when stored."""
    single = filters.single_rater
    if single and single[0] == Scope.JUDGE:
        found = [r for (v, t, value), r in agreement.items()
                 if v == version_id and t == agreement_store.JUDGE_REPLICATES and filters.is_judge_slice(value)]
        return found[0] if found else None
    if single:
        return None
    if filters.raters != Scope.ALL:
        return agreement_store.lookup(agreement, version_id, agreement_store.scope_slice(filters.raters))
    candidates = [(agreement_store.MODEL, str(model_id))] if model_id is not None else []
    return agreement_store.lookup(agreement, version_id, *candidates, (agreement_store.ALL, ""))


def decorate_cell(cell: dict[str, Any] | None, *, filters: Filters, agreement: dict, names: dict[int, str],
                  version_id: int, model_id: int | None, drill: dict[str, Any],
                  check_interviewers: bool = True) -> dict[str, Any] | None:
    """A payload cell as shown: its alpha, flags and drill-down link; None when it has no interviews."""
    if cell is None or not cell.get("n"):
        return None
    cell = dict(cell)
    # One interviewer is one name: Still Alive records each auditor × tone as its own interviewer row.
    cell["interviewer_names"] = len({names.get(i, i) for i in cell.get("interviewer_ids", [])})
    alpha = cell_alpha(filters, agreement, version_id, model_id)
    cell["alpha"] = alpha
    cell["flags"] = cell_flags(cell, alpha, check_interviewers=check_interviewers)
    cell["drilldown"] = drilldown_url(filters, version_id, **drill)
    return cell


# ---------------------------------------------------------------------------------------------- overview


def overview_rows(raw: dict, versions: list[MetricVersion], models: list[dict[str, Any]],
                  decorate: Decorate) -> list[dict[str, Any]]:
    """One row per metric version: a cell per model and the all-models total."""
    rows = []
    for version in versions:
        cells = [decorate(raw["cells"].get(f"{version.pk}:{m['id']}"),
                          version_id=version.pk, model_id=m["id"], drill={"model": m["id"]}) for m in models]
        total = decorate(raw["totals"].get(str(version.pk)),
                         version_id=version.pk, model_id=None, drill={})
        rows.append({"metric": metric_info(version), "cells": cells, "all_models": total})
    return rows


# ---------------------------------------------------------------------------------------------- metric page


def default_columns(raw: dict) -> str:
    """Pool stances by name when some interviewer name comes with several stances (e.g. one auditor, five tones)."""
    return COLUMNS_NAME if any(len(g["interviewer_ids"]) > 1 for g in raw["interviewer_names"]) else COLUMNS_EACH


def interviewer_columns(raw: dict, interviewers: list[dict], columns: str) -> list[dict[str, Any]]:
    """One column per interviewer, or per interviewer name with its declared stances pooled."""
    if columns == COLUMNS_NAME:
        return [{"key": group["name"], "label": group["name"],
                 "detail": f"{len(group['interviewer_ids'])} stances pooled" if len(group["interviewer_ids"]) > 1 else "",
                 "interviewer_ids": group["interviewer_ids"], "pairs": raw["by_model_interviewer_name"],
                 "pair_key": f"|{group['name']}", "total": raw["by_interviewer_name"].get(group["name"])}
                for group in raw["interviewer_names"]]
    return [{"key": str(i["id"]), "label": i["name"], "detail": i["stance"], "interviewer_ids": [i["id"]],
             "pairs": raw["by_model_interviewer"], "pair_key": f":{i['id']}", "total": raw["by_interviewer"].get(str(i["id"]))}
            for i in interviewers]


def column_headers(column_specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"key": c["key"], "label": c["label"], "detail": c["detail"], "interviewer_ids": c["interviewer_ids"]}
            for c in column_specs]


def model_rows(raw: dict, models: list[dict[str, Any]], column_specs: list[dict[str, Any]],
               decorate: Decorate) -> list[dict[str, Any]]:
    """Per model: its cell over every interviewer, then one cell per interviewer column."""
    rows = []
    for m in models:
        cell = decorate(raw["by_model"].get(str(m["id"])), model_id=m["id"], drill={"model": m["id"]})
        by_interviewer = [decorate(col["pairs"].get(f"{m['id']}{col['pair_key']}"), model_id=m["id"],
                                   drill={"model": m["id"], "interviewers": col["interviewer_ids"]},
                                   check_interviewers=False)
                          for col in column_specs]
        rows.append({"model": m, "all": cell, "by_interviewer": by_interviewer})
    return rows


def interviewer_totals(column_specs: list[dict[str, Any]], agreement: dict, version_id: int,
                       decorate: Decorate) -> list[dict[str, Any] | None]:
    """Per interviewer column, its cell over every model (with the interviewer's own alpha when one)."""
    totals = []
    for col in column_specs:
        cell = decorate(col["total"], model_id=None, drill={"interviewers": col["interviewer_ids"]},
                        check_interviewers=False)
        if cell is not None and len(col["interviewer_ids"]) == 1:
            cell["alpha_interviewer"] = agreement_store.lookup(
                agreement, version_id, (agreement_store.INTERVIEWER, str(col["interviewer_ids"][0])))
        totals.append(cell)
    return totals


def ranking_panel(raw: dict, columns: str, models: list[dict[str, Any]], column_specs: list[dict[str, Any]]
                  ) -> dict[str, Any]:
    """Balanced means and ranks per model (best first) and rank agreement per pair of interviewer columns."""
    table = raw["rankings"][columns]
    info = {m["id"]: m for m in models}
    labels = {c["key"]: c["label"] + (f" ({c['detail']})" if c["detail"] and columns == COLUMNS_EACH else "")
              for c in column_specs}
    shown = [c["key"] for c in column_specs if c["key"] in table["columns"]]  # the page's column order
    position = {key: k for k, key in enumerate(table["columns"])}
    pooled = [raw["by_model"][str(m)]["mean"] for m in table["models"]]
    pooled_ranks: list[float] = list(rankings.average_ranks(pooled)) if pooled else []
    rows = []
    for row, pooled_mean, pooled_rank in zip(table["rows"], pooled, pooled_ranks, strict=True):
        under = [{"key": key, "label": labels[key], "mean": row["means"][position[key]],
                  "rank": row["ranks"][position[key]], "rank_ci": row["rank_ci"][position[key]]} for key in shown]
        rows.append({**row, "model": info[row["model"]], "pooled_mean": pooled_mean, "pooled_rank": float(pooled_rank),
                     "under": under})
    rows.sort(key=lambda r: (r["balanced_rank"], r["model"]["name"]))
    pairs = [{**pair, "a": labels[pair["a"]], "b": labels[pair["b"]]} for pair in table["pairs"]]
    return {"columns": [{"key": key, "label": labels[key]} for key in shown], "rows": rows, "pairs": pairs,
            "excluded": [info[m] for m in table["excluded"] if m in info], "replicates": table["replicates"],
            "min_models": rankings.MIN_MODELS_FOR_AGREEMENT}


def in_declared_order(factor: dict, declared: dict[str, list[str]]) -> dict:
    known = declared.get(factor["factor"], [])
    if not known:
        return factor
    rank = {level: k for k, level in enumerate(known)}
    return {**factor, "levels": sorted(factor["levels"], key=lambda level: (rank.get(level, len(rank)), level))}


def interviewers_varying(cells: list[dict], identity: Callable[[int], Any]) -> int:
    """How many interviewers have interviews at two or more of these levels, i.e. show the contrast themselves.

    0 means the levels come from different interviewers (the condition is confounded with who asked);
    1 means a single interviewer produced the pattern.
    """
    levels_by: dict[Any, int] = {}
    for cell in cells:
        for who in {identity(i) for i in cell.get("interviewer_ids", [])}:
            levels_by[who] = levels_by.get(who, 0) + 1
    return sum(1 for n in levels_by.values() if n >= 2)


def interviewer_identity(columns: str, names: dict[int, str]) -> Callable[[int], Any]:
    """Who counts as one interviewer: the name when stances are pooled, else the interviewer row."""
    return (lambda i: names.get(i, i)) if columns == COLUMNS_NAME else (lambda i: i)


def factor_tables(raw_factors: list[dict], models: list[dict[str, Any]], *, declared: dict[str, list[str]],
                  identity: Callable[[int], Any], agreement: dict, version_id: int,
                  decorate: Decorate) -> list[dict[str, Any]]:
    """One table per condition factor: per model a cell per level, and whether interviewers span the levels."""
    factors = []
    for factor in raw_factors:
        factor = in_declared_order(factor, declared)
        factor_rows = []
        for m in models:
            cells = [decorate(factor["cells"].get(f"{m['id']}:{level}"), model_id=m["id"],
                              drill={"model": m["id"], "conditions": ((factor["factor"], level),)},
                              check_interviewers=False)
                     for level in factor["levels"]]
            present = [c for c in cells if c]
            if not present:
                continue
            # Whether an effect holds across interviewers: who spans two or more levels.
            varying = interviewers_varying(present, identity)
            factor_rows.append({"model": m, "cells": cells, "levels_present": len(present),
                                "interviewers_varying": varying,
                                "one_interviewer": len(present) > 1 and varying <= 1})
        level_alpha = [agreement_store.lookup(agreement, version_id,
                                              (agreement_store.CONDITION, f"{factor['factor']}={level}"))
                       for level in factor["levels"]]
        factors.append({"factor": factor["factor"], "levels": factor["levels"], "rows": factor_rows,
                        "level_alpha": level_alpha})
    return factors


def two_way_tables(raw_two_way: list[dict], models: list[dict[str, Any]], decorate: Decorate
                   ) -> list[dict[str, Any]]:
    """Two factors crossed: per model with data, a grid of cells (first factor's levels × second's)."""
    two_way = []
    for table in raw_two_way:
        (first, second), (first_levels, second_levels) = table["factors"], table["levels"]
        per_model = []
        for m in models:
            grid = [[decorate(table["cells"].get(f"{m['id']}:{a}:{b}"), model_id=m["id"],
                              drill={"model": m["id"], "conditions": ((first, a), (second, b))},
                              check_interviewers=False) for b in second_levels] for a in first_levels]
            if any(c for row in grid for c in row):
                per_model.append({"model": m, "grid": list(zip(first_levels, grid, strict=True))})
        two_way.append({"factors": [first, second], "levels": [first_levels, second_levels], "models": per_model})
    return two_way


def coverage_summary(raw_coverage: dict, filters: Filters, version_id: int) -> dict[str, Any]:
    coverage = dict(raw_coverage)
    coverage["share_missing"] = coverage["missing"] / coverage["assessed"] if coverage["assessed"] else None
    coverage["drilldown_missing"] = drilldown_url(filters, version_id, missing=True)
    return coverage


# ---------------------------------------------------------------------------------------------- coverage page


def coverage_rows(raw: dict, versions: list[MetricVersion], interviewers: list[dict[str, Any]],
                  filters: Filters) -> list[dict[str, Any]]:
    """Per metric version: a cell per interviewer with its drill-downs, and the row's totals."""
    rows = []
    for v in versions:
        cells = []
        for i in interviewers:
            cell = raw["cells"].get(f"{i['id']}:{v.pk}")
            if cell:
                cell = {**cell, "drilldown_missing": drilldown_url(filters, v.pk, interviewers=[i["id"]], missing=True),
                        "drilldown_scored": drilldown_url(filters, v.pk, interviewers=[i["id"]])}
            cells.append(cell)
        present = [c for c in cells if c]
        assessed, missing = sum(c["assessed"] for c in present), sum(c["missing"] for c in present)
        rows.append({"metric": metric_info(v), "cells": cells, "assessed": assessed, "missing": missing,
                     "share_missing": missing / assessed if assessed else None,
                     "largest_share_missing": max((c["share_missing"] or 0 for c in present), default=0)})
    return rows


# ---------------------------------------------------------------------------------------------- agreement page


def wanted_slices(filters: Filters, results: list[dict[str, Any]]) -> tuple[set[str], dict[str, set[str]]]:
    """The slice types the filters show, and for some types the only values shown."""
    wanted_types = {agreement_store.ALL, agreement_store.REVIEWER_KIND, agreement_store.HUMAN_JUDGE,
                    agreement_store.JUDGE_REPLICATES, agreement_store.MODEL, agreement_store.INTERVIEWER,
                    agreement_store.CONDITION}
    wanted_values: dict[str, set[str]] = {}
    if filters.study:
        wanted_types.add(agreement_store.STUDY)
        wanted_values[agreement_store.STUDY] = {str(filters.study)}
    if filters.interviewers:
        wanted_values[agreement_store.INTERVIEWER] = {str(i) for i in filters.interviewers}
    if filters.conditions:
        wanted_values[agreement_store.CONDITION] = {f"{f}={level}" for f, levels in filters.conditions
                                                    for level in levels}
    if filters.judge:
        wanted_values[agreement_store.JUDGE_REPLICATES] = {
            r["slice_value"] for r in results if filters.is_judge_slice(r["slice_value"])}
    if filters.raters == Scope.HUMAN:
        wanted_types -= {agreement_store.HUMAN_JUDGE, agreement_store.JUDGE_REPLICATES}
        wanted_values[agreement_store.REVIEWER_KIND] = {"human"}
    elif filters.raters == Scope.JUDGE:
        wanted_types -= {agreement_store.HUMAN_JUDGE}
        wanted_values[agreement_store.REVIEWER_KIND] = {"judge"}
    return wanted_types, wanted_values


def slices_by_version(filters: Filters, results: list[dict[str, Any]], version_ids: set[int] | dict[int, Any]
                      ) -> dict[int, list[dict[str, Any]]]:
    """The stored results the filters show, flagged, per metric version in `SLICE_ORDER`."""
    wanted_types, wanted_values = wanted_slices(filters, results)
    order = {t: i for i, t in enumerate(SLICE_ORDER)}
    by_version: dict[int, list[dict]] = {}
    for r in results:
        if r["slice_type"] not in wanted_types or r["metric_version"] not in version_ids:
            continue
        allowed = wanted_values.get(r["slice_type"])
        if allowed is not None and r["slice_value"] not in allowed:
            continue
        r = dict(r)
        r["flags"] = (["no_agreement"] if r["alpha"] is None
                      else (["low_agreement"] if r["alpha"] < conf.min_alpha() else []))
        by_version.setdefault(r["metric_version"], []).append(r)
    return {pk: sorted(rows, key=lambda r: (order.get(r["slice_type"], 99), r["slice_label"]))
            for pk, rows in by_version.items()}


def agreement_metric(filters: Filters, version: MetricVersion, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """One metric version on the agreement page: its slices, the headline bars and their drill-downs."""
    pk = version.pk
    headline = {name: next((r for r in rows if (r["slice_type"], r["slice_value"]) == key), None)
                for name, key in HEADLINE_SLICES.items()}
    # Each bar drills down to the interviews whose reviews it counts (the reviewer kind it is about).
    one_rater = filters.judge is not None or filters.reviewer is not None  # already one kind
    drill = {"all": drilldown_url(filters, pk), "human_judge": drilldown_url(filters, pk),
             "human": drilldown_url(filters if one_rater else dataclasses.replace(filters, raters=Scope.HUMAN), pk),
             "judge": drilldown_url(filters if one_rater else dataclasses.replace(filters, raters=Scope.JUDGE), pk)}
    return {"metric": metric_info(version), "slices": rows, "drilldown": drill,
            "all": headline["all"], "human": headline["human"], "judge": headline["judge"],
            "human_judge": headline["human_judge"]}


def filters_not_applied(filters: Filters) -> list[str]:
    """Alpha is stored per slice, not per arbitrary filter: the active filters these numbers do not reflect."""
    return [name for name, active in [("topic", bool(filters.topic)),
                                      ("from/to dates", bool(filters.date_from or filters.date_to)),
                                      ("reviewer", bool(filters.reviewer))] if active]


# ---------------------------------------------------------------------------------------------- drill-down


def interview_item(interview: Interview, row: DrillRow) -> dict[str, Any]:
    """One interview behind a number, with the consensus it contributed."""
    return {
        "id": interview.pk, "title": interview.title or f"Interview {interview.pk}",
        "url": interview.get_absolute_url(), "api_url": f"/api/v1/interviews/{interview.pk}/",
        "target_model": interview.target_model.name,
        "interviewer": str(interview.interviewer) if interview.interviewer else None,
        "conditions": interview.conditions, "topics": interview.topics,
        "conducted_on": interview.conducted_on.isoformat() if interview.conducted_on else None,
        "status": interview.status, "consensus": row.value, "raters": row.raters, "assessed_by": row.assessed_by,
    }
