"""Reads for the explorer's pages and API: the same functions serve both, so they show the same numbers.

Every function takes the parsed filters and returns plain JSON-ready data: the API returns it as
is, the templates render it. Unfiltered views come from the materialized snapshots while the set
of public interviews is unchanged; anything else is computed from the consensus table (and cached
for a few minutes under a key that changes whenever the inputs do).
"""

from __future__ import annotations

import dataclasses
import functools

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.core.cache import cache
from django.db.models import Max, Min
from django.http import Http404
from django.urls import reverse

from reviews.explorer import aggregation, conf, materialize, rater_values, refresh
from reviews.explorer import agreement as agreement_store
from reviews.explorer.aggregation import NO_INTERVIEWER, Cell
from reviews.explorer.filters import Filters
from reviews.explorer.models import DatasetRelease, RefreshState, Scope, Snapshot
from commons.models import Interview, Interviewer, Study, TargetModel, User
from reviews.models import MetricVersion, Review, ScaleType

LIVE_CACHE_SECONDS = 300
DRILL_PAGE_SIZE = 50

# ---------------------------------------------------------------------------------------------- payloads


class PayloadSource:
    """Resolves a page's raw numbers: snapshot when valid, else live (cached)."""

    def __init__(self, filters: Filters) -> None:
        self.filters = filters
        self._public: str | None = None
        self.materialized = False
        self.computed_at: str | None = None

    @property
    def public(self) -> str:
        if self._public is None:
            self._public = materialize.public_fingerprint()
        return self._public

    def get(self, key: str, compute: Callable[[aggregation.Source], dict]) -> dict:
        refresh.check_inputs()
        if self.filters.is_unfiltered:
            snapshot = (Snapshot.objects.filter(key=materialize.snapshot_key(key, self.filters.raters))
                        .values("payload", "public_fingerprint", "computed_at").first())
            if snapshot is not None and snapshot["public_fingerprint"] == self.public:
                self.materialized = True
                self.computed_at = snapshot["computed_at"].isoformat()
                return snapshot["payload"]
            refresh.request_refresh()
        state = RefreshState.objects.filter(pk=1).values_list("finished_at", flat=True).first()
        cache_key = "explorer:live:" + materialize.digest(aggregation.PAYLOAD_VERSION, key, self.filters.cache_key(),
                                                          self.public, state)
        payload = cache.get(cache_key)
        if payload is None:
            payload = compute(aggregation.source_for(self.filters))
            cache.set(cache_key, payload, LIVE_CACHE_SECONDS)
        return payload


def _model_info(ids: set[int]) -> list[dict[str, Any]]:
    # Release order; models without a date go last.
    ordered = sorted(TargetModel.objects.filter(pk__in=ids),
                     key=lambda m: (m.release_date is None, m.release_date or 0, m.name))
    return [{"id": m.pk, "name": m.name, "provider": m.provider, "family": m.family,
             "release_date": m.release_date.isoformat() if m.release_date else None, "retired": m.retired}
            for m in ordered]


def _interviewer_info(ids: set[int]) -> list[dict[str, Any]]:
    found = {i.pk: i for i in Interviewer.objects.filter(pk__in=ids - {NO_INTERVIEWER})}
    out = [{"id": pk, "name": found[pk].name, "stance": found[pk].stance, "kind": found[pk].kind,
            "label": str(found[pk])} for pk in sorted(found, key=lambda pk: (str(found[pk]).lower(), pk))]
    if NO_INTERVIEWER in ids:
        out.append({"id": NO_INTERVIEWER, "name": "Not recorded", "stance": "", "kind": "", "label": "Not recorded"})
    return out


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
    }


def _versions(ids: list[int]) -> list[MetricVersion]:
    versions = aggregation.metric_versions(ids)
    return sorted(versions.values(), key=lambda v: (v.group, v.name.lower(), v.metric.slug, v.number))


def _flags(cell: dict[str, Any], alpha: dict[str, Any] | None, *, check_interviewers: bool) -> list[str]:
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


def _cell_alpha(filters: Filters, agreement: dict, version_id: int, model_id: int | None) -> dict[str, Any] | None:
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


def _decorate(cell: dict[str, Any] | None, *, filters: Filters, agreement: dict, names: dict[int, str],
              version_id: int,
              model_id: int | None, drill: dict[str, Any], check_interviewers: bool = True) -> dict[str, Any] | None:
    if cell is None or not cell.get("n"):
        return None
    cell = dict(cell)
    # One interviewer is one name: Still Alive records each auditor × tone as its own interviewer row.
    cell["interviewer_names"] = len({names.get(i, i) for i in cell.get("interviewer_ids", [])})
    alpha = _cell_alpha(filters, agreement, version_id, model_id)
    cell["alpha"] = alpha
    cell["flags"] = _flags(cell, alpha, check_interviewers=check_interviewers)
    cell["drilldown"] = drilldown_url(filters, version_id, **drill)
    return cell


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


def _meta(resolver: PayloadSource, filters: Filters) -> dict[str, Any]:
    return {
        "filters": filters.as_dict(),
        "materialized": resolver.materialized,
        "computed_at": resolver.computed_at,
        "thresholds": {"min_interviews": conf.min_interviews(), "min_alpha": conf.min_alpha(),
                       "confidence": 0.95, "bootstrap_replicates": conf.bootstrap_replicates()},
    }


# ---------------------------------------------------------------------------------------------- overview


def overview(filters: Filters) -> dict[str, Any]:
    resolver = PayloadSource(filters)
    raw = resolver.get("overview", aggregation.overview_payload)
    versions = _versions(raw["metric_versions"])
    models = _model_info(set(raw["models"]))
    agreement = agreement_store.index(v.pk for v in versions)
    present = {i for cell in (*raw["cells"].values(), *raw["totals"].values()) for i in cell["interviewer_ids"]}
    decorate = functools.partial(_decorate, filters=filters, agreement=agreement,
                                 names=aggregation.interviewer_names(present))
    rows = []
    for version in versions:
        cells = [decorate(raw["cells"].get(f"{version.pk}:{m['id']}"),
                          version_id=version.pk, model_id=m["id"], drill={"model": m["id"]}) for m in models]
        total = decorate(raw["totals"].get(str(version.pk)),
                         version_id=version.pk, model_id=None, drill={})
        rows.append({"metric": metric_info(version), "cells": cells, "all_models": total})
    nominal = [metric_info(v) for v in _versions(raw["nominal_versions"])]
    return {**_meta(resolver, filters), "counts": raw["counts"], "models": models, "rows": rows,
            "nominal_metrics": nominal,
            "undated_models": sum(1 for m in models if not m["release_date"])}


# ---------------------------------------------------------------------------------------------- metric page


def metric_versions_of(slug: str) -> list[MetricVersion]:
    versions = list(MetricVersion.objects.select_related("metric").filter(metric__slug=slug).order_by("number"))
    if not versions:
        raise Http404("No such metric.")
    return versions


COLUMNS_EACH, COLUMNS_NAME = "each", "name"


def _interviewer_columns(raw: dict, interviewers: list[dict], columns: str) -> list[dict[str, Any]]:
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


def declared_level_order() -> dict[str, list[str]]:
    """Factor → its levels in the order a study declared them (e.g. none < partial < full)."""
    order: dict[str, list[str]] = {}
    for factors in Study.objects.exclude(factors={}).values_list("factors", flat=True):
        for factor, levels in (factors or {}).items():
            if isinstance(levels, list):
                order.setdefault(str(factor), [str(level) for level in levels])
    return order


def _in_declared_order(factor: dict, declared: dict[str, list[str]]) -> dict:
    known = declared.get(factor["factor"], [])
    if not known:
        return factor
    rank = {level: k for k, level in enumerate(known)}
    return {**factor, "levels": sorted(factor["levels"], key=lambda level: (rank.get(level, len(rank)), level))}


def _interviewers_varying(cells: list[dict], identity: Callable[[int], Any]) -> int:
    """How many interviewers have interviews at two or more of these levels, i.e. show the contrast themselves.

    0 means the levels come from different interviewers (the condition is confounded with who asked);
    1 means a single interviewer produced the pattern.
    """
    levels_by: dict[Any, int] = {}
    for cell in cells:
        for who in {identity(i) for i in cell.get("interviewer_ids", [])}:
            levels_by[who] = levels_by.get(who, 0) + 1
    return sum(1 for n in levels_by.values() if n >= 2)


def default_columns(raw: dict) -> str:
    """Pool stances by name when some interviewer name comes with several stances (e.g. one auditor, five tones)."""
    return COLUMNS_NAME if any(len(g["interviewer_ids"]) > 1 for g in raw["interviewer_names"]) else COLUMNS_EACH


def metric_detail(slug: str, number: int | None, filters: Filters, columns: str | None = None) -> dict[str, Any]:
    versions = metric_versions_of(slug)
    resolver = PayloadSource(filters)
    overview_raw = resolver.get("overview", aggregation.overview_payload)
    with_data = {int(v): cell["n"] for v, cell in overview_raw["totals"].items()}
    if number is None:
        candidates = [v for v in versions if v.pk in with_data] or versions
        version = max(candidates, key=lambda v: (v.status == MetricVersion.Status.ADOPTED, v.number))
    else:
        version = next((v for v in versions if v.number == number), None)
        if version is None:
            raise Http404("No such version of this metric.")
    if version.scale_type == ScaleType.NOMINAL:
        return _nominal_detail(version, versions, with_data, filters, resolver)
    raw = resolver.get(f"metric:{version.pk}", lambda source: aggregation.metric_payload(source, version))
    agreement = agreement_store.index([version.pk])
    models = _model_info(set(raw["models"]))
    interviewers = _interviewer_info(set(raw["interviewers"]))
    names = {i["id"]: i["name"] for i in interviewers}
    decorate = functools.partial(_decorate, filters=filters, agreement=agreement, names=names)
    columns = columns if columns in (COLUMNS_EACH, COLUMNS_NAME) else default_columns(raw)
    column_specs = _interviewer_columns(raw, interviewers, columns)
    rows = []
    for m in models:
        base = raw["by_model"].get(str(m["id"]))
        cell = decorate(base, version_id=version.pk, model_id=m["id"],
                        drill={"model": m["id"]})
        by_interviewer = [decorate(col["pairs"].get(f"{m['id']}{col['pair_key']}"),
                                   version_id=version.pk, model_id=m["id"],
                                   drill={"model": m["id"], "interviewers": col["interviewer_ids"]},
                                   check_interviewers=False)
                          for col in column_specs]
        rows.append({"model": m, "all": cell, "by_interviewer": by_interviewer})
    interviewer_totals = []
    for col in column_specs:
        cell = decorate(col["total"], version_id=version.pk, model_id=None,
                        drill={"interviewers": col["interviewer_ids"]}, check_interviewers=False)
        if cell is not None and len(col["interviewer_ids"]) == 1:
            cell["alpha_interviewer"] = agreement_store.lookup(
                agreement, version.pk, (agreement_store.INTERVIEWER, str(col["interviewer_ids"][0])))
        interviewer_totals.append(cell)
    # Whether an effect holds across interviewers: who (by name when stances are pooled) spans 2+ levels.
    identity = (lambda i: names.get(i, i)) if columns == COLUMNS_NAME else (lambda i: i)
    factors = []
    declared = declared_level_order()
    for factor in raw["factors"]:
        factor = _in_declared_order(factor, declared)
        factor_rows = []
        for m in models:
            cells = [decorate(factor["cells"].get(f"{m['id']}:{level}"),
                              version_id=version.pk, model_id=m["id"],
                              drill={"model": m["id"], "conditions": ((factor["factor"], level),)},
                              check_interviewers=False)
                     for level in factor["levels"]]
            present = [c for c in cells if c]
            if not present:
                continue
            varying = _interviewers_varying(present, identity)
            factor_rows.append({"model": m, "cells": cells, "levels_present": len(present),
                                "interviewers_varying": varying,
                                "one_interviewer": len(present) > 1 and varying <= 1})
        level_alpha = [agreement_store.lookup(agreement, version.pk,
                                              (agreement_store.CONDITION, f"{factor['factor']}={level}"))
                       for level in factor["levels"]]
        factors.append({"factor": factor["factor"], "levels": factor["levels"], "rows": factor_rows,
                        "level_alpha": level_alpha})
    two_way = []
    for table in raw["two_way"]:
        (first, second), (first_levels, second_levels) = table["factors"], table["levels"]
        per_model = []
        for m in models:
            grid = [[decorate(table["cells"].get(f"{m['id']}:{a}:{b}"),
                              version_id=version.pk, model_id=m["id"],
                              drill={"model": m["id"], "conditions": ((first, a), (second, b))},
                              check_interviewers=False) for b in second_levels] for a in first_levels]
            if any(c for row in grid for c in row):
                per_model.append({"model": m, "grid": list(zip(first_levels, grid, strict=True))})
        two_way.append({"factors": [first, second], "levels": [first_levels, second_levels], "models": per_model})
    overall = decorate(raw["overall"], version_id=version.pk, model_id=None,
                       drill={})
    coverage = dict(raw["coverage"])
    coverage["share_missing"] = coverage["missing"] / coverage["assessed"] if coverage["assessed"] else None
    coverage["drilldown_missing"] = drilldown_url(filters, version.pk, missing=True)
    return {
        **_meta(resolver, filters),
        "metric": metric_info(version),
        "versions": _version_choices(versions, with_data, version),
        "alpha": agreement_store.lookup(agreement, version.pk, agreement_store.scope_slice(filters.raters)),
        "models": models,
        "interviewers": interviewers,
        "columns": columns,
        "interviewer_columns": [{"key": c["key"], "label": c["label"], "detail": c["detail"],
                                 "interviewer_ids": c["interviewer_ids"]} for c in column_specs],
        "rows": rows,
        "interviewer_totals": interviewer_totals,
        "overall": overall,
        "factors": factors,
        "two_way": two_way,
        "coverage": coverage,
    }


def _version_choices(versions: list[MetricVersion], with_data: dict[int, int], current: MetricVersion
                     ) -> list[dict[str, Any]]:
    """The metric's versions to switch between, each with its number of interviews (never pooled)."""
    return [{"id": v.pk, "number": v.number, "name": v.name, "status": v.status,
             "interviews": with_data.get(v.pk, 0), "current": v.pk == current.pk} for v in versions]


def _nominal_detail(version: MetricVersion, versions: list[MetricVersion], with_data: dict[int, int],
                   filters: Filters, resolver: PayloadSource) -> dict[str, Any]:
    raw = aggregation.nominal_payload(filters, version)
    models = _model_info({int(m) for m in raw["models"]})
    return {
        **_meta(resolver, filters), "metric": metric_info(version), "nominal": True,
        "versions": _version_choices(versions, with_data, version),
        "labels": raw["labels"],
        "shares": [{"model": m, "n": raw["models"][str(m["id"])]["n"], "shares": raw["models"][str(m["id"])]["shares"],
                    "drilldown": drilldown_url(filters, version.pk, model=m["id"])} for m in models],
        "rows": [], "factors": [], "two_way": [], "interviewer_columns": [], "overall": None,
    }


# ---------------------------------------------------------------------------------------------- coverage


def coverage(filters: Filters) -> dict[str, Any]:
    resolver = PayloadSource(filters)
    raw = resolver.get("coverage", aggregation.coverage_payload)
    versions = _versions(raw["metric_versions"])
    interviewers = _interviewer_info(set(raw["interviewers"]))
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
    return {**_meta(resolver, filters), "interviewers": interviewers, "rows": rows}


# ---------------------------------------------------------------------------------------------- agreement


def agreement(filters: Filters) -> dict[str, Any]:
    """Issue 4's public alpha per metric version and slice; filters pick the slices shown."""
    results = agreement_store.results()
    versions = {v.pk: v for v in _versions(sorted({r["metric_version"] for r in results}))}
    wanted_types = {agreement_store.ALL, agreement_store.REVIEWER_KIND, agreement_store.HUMAN_JUDGE,
                    agreement_store.JUDGE_REPLICATES, agreement_store.MODEL}
    wanted_values: dict[str, set[str]] = {}
    if filters.study:
        wanted_types.add(agreement_store.STUDY)
        wanted_values[agreement_store.STUDY] = {str(filters.study)}
    if filters.interviewers:
        wanted_types.add(agreement_store.INTERVIEWER)
        wanted_values[agreement_store.INTERVIEWER] = {str(i) for i in filters.interviewers}
    else:
        wanted_types.add(agreement_store.INTERVIEWER)
    if filters.conditions:
        wanted_types.add(agreement_store.CONDITION)
        wanted_values[agreement_store.CONDITION] = {f"{f}={level}" for f, levels in filters.conditions
                                                    for level in levels}
    else:
        wanted_types.add(agreement_store.CONDITION)
    if filters.judge:
        wanted_values[agreement_store.JUDGE_REPLICATES] = {
            r["slice_value"] for r in results if filters.is_judge_slice(r["slice_value"])}
    if filters.raters == Scope.HUMAN:
        wanted_types -= {agreement_store.HUMAN_JUDGE, agreement_store.JUDGE_REPLICATES}
        wanted_values[agreement_store.REVIEWER_KIND] = {"human"}
    elif filters.raters == Scope.JUDGE:
        wanted_types -= {agreement_store.HUMAN_JUDGE}
        wanted_values[agreement_store.REVIEWER_KIND] = {"judge"}
    order = {t: i for i, t in enumerate([agreement_store.ALL, agreement_store.REVIEWER_KIND,
                                         agreement_store.HUMAN_JUDGE, agreement_store.JUDGE_REPLICATES,
                                         agreement_store.MODEL, agreement_store.INTERVIEWER,
                                         agreement_store.STUDY, agreement_store.CONDITION])}
    by_version: dict[int, list[dict]] = {}
    for r in results:
        if r["slice_type"] not in wanted_types or r["metric_version"] not in versions:
            continue
        allowed = wanted_values.get(r["slice_type"])
        if allowed is not None and r["slice_value"] not in allowed:
            continue
        r = dict(r)
        r["flags"] = (["no_agreement"] if r["alpha"] is None
                      else (["low_agreement"] if r["alpha"] < conf.min_alpha() else []))
        by_version.setdefault(r["metric_version"], []).append(r)
    metrics = []
    for pk, version in versions.items():
        rows = sorted(by_version.get(pk, []), key=lambda r: (order.get(r["slice_type"], 99), r["slice_label"]))
        if not rows:
            continue
        headline = {t: next((r for r in rows if (r["slice_type"], r["slice_value"]) == t), None)
                    for t in [(agreement_store.ALL, ""), (agreement_store.REVIEWER_KIND, "human"),
                              (agreement_store.REVIEWER_KIND, "judge"), (agreement_store.HUMAN_JUDGE, "")]}
        # Each bar drills down to the interviews whose reviews it counts (the reviewer kind it is about).
        one_rater = filters.judge is not None or filters.reviewer is not None  # already one kind
        drill = {"all": drilldown_url(filters, pk), "human_judge": drilldown_url(filters, pk),
                 "human": drilldown_url(filters if one_rater else dataclasses.replace(filters, raters=Scope.HUMAN), pk),
                 "judge": drilldown_url(filters if one_rater else dataclasses.replace(filters, raters=Scope.JUDGE), pk)}
        metrics.append({"metric": metric_info(version), "slices": rows, "drilldown": drill,
                        "all": headline[(agreement_store.ALL, "")],
                        "human": headline[(agreement_store.REVIEWER_KIND, "human")],
                        "judge": headline[(agreement_store.REVIEWER_KIND, "judge")],
                        "human_judge": headline[(agreement_store.HUMAN_JUDGE, "")]})
    # Alpha is stored per slice, not per arbitrary filter: say which filters these numbers do not reflect.
    not_applied = [name for name, active in [("topic", bool(filters.topic)),
                                             ("from/to dates", bool(filters.date_from or filters.date_to)),
                                             ("reviewer", bool(filters.reviewer))] if active]
    return {"filters": filters.as_dict(), "thresholds": {"min_alpha": conf.min_alpha()}, "metrics": metrics,
            "filters_not_applied": not_applied}


# ---------------------------------------------------------------------------------------------- drill-down


def drilldown(filters: Filters, *, metric_version_id: int, cell: Cell, missing: bool, page: int
              ) -> dict[str, Any]:
    version = MetricVersion.objects.select_related("metric").filter(pk=metric_version_id).first()
    if version is None:
        raise Http404("No such metric version.")
    refresh.check_inputs()
    source = aggregation.source_for(filters)
    offset = (page - 1) * DRILL_PAGE_SIZE
    total, rows = aggregation.drill(source, version.pk, cell, missing=missing, offset=offset, limit=DRILL_PAGE_SIZE)
    interviews = {i.pk: i for i in aggregation.public_interviews().filter(pk__in=[r.interview_id for r in rows])}
    items = []
    for row in rows:
        interview = interviews.get(row.interview_id)
        if interview is None:
            continue
        items.append({
            "id": interview.pk, "title": interview.title or f"Interview {interview.pk}",
            "url": interview.get_absolute_url(), "api_url": f"/api/v1/interviews/{interview.pk}/",
            "target_model": interview.target_model.name,
            "interviewer": str(interview.interviewer) if interview.interviewer else None,
            "conditions": interview.conditions, "topics": interview.topics,
            "conducted_on": interview.conducted_on.isoformat() if interview.conducted_on else None,
            "status": interview.status, "consensus": row.value, "raters": row.raters, "assessed_by": row.assessed_by,
        })
    found_model = _model_info({cell.model_id}) if cell.model_id is not None else []
    described = {"model": found_model[0] if found_model else None,
                 "interviewers": _interviewer_info(set(cell.interviewer_ids)),
                 "conditions": [list(c) for c in cell.conditions]}
    return {
        "filters": filters.as_dict(), "metric": metric_info(version), "cell": described, "missing": missing,
        "count": total, "page": page, "pages": max(1, -(-total // DRILL_PAGE_SIZE)), "page_size": DRILL_PAGE_SIZE,
        "interviews": items,
    }


# ---------------------------------------------------------------------------------------------- filter choices


def _reviewer_name(user: User) -> str:
    profile = getattr(user, "reviewer_profile", None)
    if user.display_name and not (profile and profile.use_pseudonym):
        return user.display_name
    return profile.pseudonym if profile else f"Reviewer {user.pk}"


def filter_options() -> dict[str, Any]:
    """What the filter form offers: only values that occur among public interviews (cached)."""
    key = "explorer:options:" + materialize.public_fingerprint()
    found = cache.get(key)
    if found is not None:
        return found
    public = aggregation.public_interviews()
    ids = public.values("pk")
    studies = list(Study.objects.filter(interviews__in=ids).distinct().order_by("title").values("id", "title"))
    interviewers = _interviewer_info(set(public.exclude(interviewer__isnull=True)
                                         .values_list("interviewer_id", flat=True).distinct()))
    factors: dict[str, set[str]] = {}
    for conditions in public.order_by().values_list("conditions", flat=True).distinct():
        if isinstance(conditions, str):
            conditions = json.loads(conditions)
        for factor, level in (conditions or {}).items():
            factors.setdefault(str(factor), set()).add(str(level))
    topics: set[str] = set()
    for listed in public.order_by().values_list("topics", flat=True).distinct():
        if isinstance(listed, str):
            listed = json.loads(listed)
        topics.update(str(t) for t in listed or [])
    judges = rater_values.judge_options(ids)  # each judge with its prompt versions, newest first
    reviewer_ids = (Review.objects.filter(kind=Review.Kind.HUMAN, status=Review.Status.SUBMITTED,
                                          interview__in=public.filter(status=Interview.Status.REVIEWED).values("pk"))
                    .values_list("reviewer_id", flat=True).distinct())
    reviewers = sorted(({"id": u.pk, "name": _reviewer_name(u)}
                        for u in User.objects.filter(pk__in=reviewer_ids).select_related("reviewer_profile")),
                       key=lambda r: r["name"].lower())
    dates = public.aggregate(first=Min("conducted_on"), last=Max("conducted_on"))
    options = {
        "studies": studies, "interviewers": interviewers,
        "factors": [{"factor": f, "levels": sorted(levels)} for f, levels in sorted(factors.items())],
        "topics": sorted(topics, key=str.lower), "judges": judges, "reviewers": reviewers,
        "first_date": dates["first"].isoformat() if dates["first"] else None,
        "last_date": dates["last"].isoformat() if dates["last"] else None,
        "scopes": [{"value": value, "label": label} for value, label in Scope.choices],
    }
    cache.set(key, options, LIVE_CACHE_SECONDS)
    return options


def releases() -> list[DatasetRelease]:
    return list(DatasetRelease.objects.filter(status=DatasetRelease.Status.READY).prefetch_related("files")[:20])


def latest_release() -> DatasetRelease | None:
    return DatasetRelease.objects.filter(status=DatasetRelease.Status.READY).prefetch_related("files").first()


