"""Reads for the explorer's pages and API: the same functions serve both, so they show the same numbers.

Every function takes the parsed filters and returns plain JSON-ready data: the API returns it as
is, the templates render it. Unfiltered views come from the materialized snapshots while the set
of public interviews is unchanged; anything else is computed from the consensus table (and cached
for a few minutes under a key that changes whenever the inputs do). This module fetches;
`presentation` turns what it fetched into rows, labels and links.
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.db.models import Max, Min
from django.http import Http404

from commons.models import Interview, Interviewer, Study, TargetModel, User
from commons.names import public_name
from reviews.explorer import adequacy, aggregation, conf, materialize, nominal, presentation, rater_values, sources
from reviews.explorer import agreement as agreement_store
from reviews.explorer.filters import Filters
from reviews.explorer.models import DatasetRelease, RefreshState, Scope, Snapshot
from reviews.explorer.sources import NO_INTERVIEWER, Cell
from reviews.models import MetricVersion, Review, ScaleType
from reviews.selectors import judge_scores_public_q

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

    def get(self, key: str, compute: Callable[[sources.Source], dict]) -> dict:
        if self.filters.is_unfiltered:
            snapshot = (Snapshot.objects.filter(key=materialize.snapshot_key(key, self.filters.raters))
                        .values("payload", "public_fingerprint", "computed_at").first())
            if snapshot is not None and snapshot["public_fingerprint"] == self.public:
                self.materialized = True
                self.computed_at = snapshot["computed_at"].isoformat()
                return snapshot["payload"]
        state = RefreshState.objects.filter(pk=1).values_list("finished_at", flat=True).first()
        cache_key = "explorer:live:" + materialize.digest(aggregation.PAYLOAD_VERSION, key, self.filters.cache_key(),
                                                          self.public, state)
        payload = cache.get(cache_key)
        if payload is None:
            payload = compute(sources.source_for(self.filters))
            cache.set(cache_key, payload, LIVE_CACHE_SECONDS)
        return payload


# ---------------------------------------------------------------------------------------------- whole pages

PAGE_GENERATION_KEY = "explorer:page-generation"


def page_generation() -> str:
    """A token that changes when something a page shows by name is edited: a target model, interviewer,
    study, metric or metric version (receivers.py calls `forget_pages`). Not counted in the numbers'
    fingerprints, which only follow what a number counts."""
    value = cache.get(PAGE_GENERATION_KEY)
    if value is None:
        cache.add(PAGE_GENERATION_KEY, uuid.uuid4().hex, None)
        # Another process may have added one first; with the cache down this is a new token each time
        # (every page is then computed, as without a cache).
        value = cache.get(PAGE_GENERATION_KEY) or uuid.uuid4().hex
    return value


def forget_pages() -> None:
    cache.set(PAGE_GENERATION_KEY, uuid.uuid4().hex, None)


def page_key(page: str, filters: Filters, *parts: object) -> str:
    """The cache key of a whole page's data: it changes whenever anything the page shows may have.

    The numbers follow the public set (its fingerprint), the last background refresh (which rewrites
    the snapshots and so ends any live-computed interim) and the stored agreement results; names and
    metric versions follow `page_generation`. Costs two small queries (the public fingerprint is
    itself cached for a few seconds), where building the overview from its snapshot took ~100 ms of
    Python: decoding the payload, ~500 agreement rows, one decorated cell per model and metric.
    """
    state = RefreshState.objects.filter(pk=1).values_list("finished_at", flat=True).first()
    return "explorer:page:" + materialize.digest(
        aggregation.PAYLOAD_VERSION, page, filters.cache_key(), *parts, materialize.public_fingerprint(), state,
        agreement_store.fingerprint(), page_generation(),
        # The thresholds that mark cells: a changed setting shows at once, not after the cache lapses.
        conf.min_interviews(), conf.min_alpha(), conf.bootstrap_replicates())


def cached_page(key: str, compute: Callable[[], Any]) -> Any:
    """What `compute` returns, cached under `key` (a `page_key`, or one derived from it)."""
    found = cache.get(key)
    if found is None:
        found = compute()
        cache.set(key, found, LIVE_CACHE_SECONDS)
    return found


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


def _versions(ids: list[int]) -> list[MetricVersion]:
    versions = aggregation.metric_versions(ids)
    return sorted(versions.values(), key=lambda v: (v.group, v.name.lower(), v.metric.slug, v.number))


def _meta(resolver: PayloadSource, filters: Filters) -> dict[str, Any]:
    """Call after the page's last `resolver.get`: it says whether the numbers came from snapshots."""
    return presentation.page_meta(filters=filters, materialized=resolver.materialized,
                                  computed_at=resolver.computed_at)


# ---------------------------------------------------------------------------------------------- overview


def overview(filters: Filters, *, key: str | None = None) -> dict[str, Any]:
    """The overview page's data; `key` (from `page_key`) when the caller needs it too (the template's cache)."""
    return cached_page(key or page_key("overview", filters), lambda: _overview(filters))


def _overview(filters: Filters) -> dict[str, Any]:
    resolver = PayloadSource(filters)
    raw = resolver.get("overview", aggregation.overview_payload)
    versions = _versions(raw["metric_versions"])
    models = _model_info(set(raw["models"]))
    agreement = agreement_store.index(v.pk for v in versions)
    present = {i for cell in (*raw["cells"].values(), *raw["totals"].values()) for i in cell["interviewer_ids"]}
    decorate = functools.partial(presentation.decorate_cell, filters=filters, agreement=agreement,
                                 names=aggregation.interviewer_names(present))
    rows = presentation.overview_rows(raw, versions, models, decorate)
    nominal = [presentation.metric_info(v) for v in _versions(raw["nominal_versions"])]
    return {**_meta(resolver, filters), "counts": raw["counts"], "models": models, "rows": rows,
            "nominal_metrics": nominal,
            "undated_models": sum(1 for m in models if not m["release_date"])}


# ---------------------------------------------------------------------------------------------- metric page


def metric_versions_of(slug: str) -> list[MetricVersion]:
    versions = list(MetricVersion.objects.select_related("metric").filter(metric__slug=slug).order_by("number"))
    if not versions:
        raise Http404("No such metric.")
    return versions


def declared_level_order() -> dict[str, list[str]]:
    """Factor → its levels in the order a study declared them (e.g. none < partial < full)."""
    order: dict[str, list[str]] = {}
    for factors in Study.objects.exclude(factors={}).values_list("factors", flat=True):
        for factor, levels in (factors or {}).items():
            if isinstance(levels, list):
                order.setdefault(str(factor), [str(level) for level in levels])
    return order


def _chosen_version(versions: list[MetricVersion], number: int | None, with_data: dict[int, int]) -> MetricVersion:
    """The version asked for, or by default the adopted (then newest) one that has data."""
    if number is None:
        candidates = [v for v in versions if v.pk in with_data] or versions
        return max(candidates, key=lambda v: (v.status == MetricVersion.Status.ADOPTED, v.number))
    version = next((v for v in versions if v.number == number), None)
    if version is None:
        raise Http404("No such version of this metric.")
    return version


def metric_detail(slug: str, number: int | None, filters: Filters, columns: str | None = None,
                  *, key: str | None = None) -> dict[str, Any]:
    return cached_page(key or page_key("metric", filters, slug, number, columns),
                       lambda: _metric_detail(slug, number, filters, columns))


def _metric_detail(slug: str, number: int | None, filters: Filters, columns: str | None) -> dict[str, Any]:
    versions = metric_versions_of(slug)
    resolver = PayloadSource(filters)
    overview_raw = resolver.get("overview", aggregation.overview_payload)
    with_data = {int(v): cell["n"] for v, cell in overview_raw["totals"].items()}
    version = _chosen_version(versions, number, with_data)
    if version.scale_type == ScaleType.NOMINAL:
        return _nominal_detail(version, versions, with_data, filters, resolver)
    raw = resolver.get(f"metric:{version.pk}", lambda source: aggregation.metric_payload(source, version))
    agreement = agreement_store.index([version.pk])
    models = _model_info(set(raw["models"]))
    interviewers = _interviewer_info(set(raw["interviewers"]))
    names = {i["id"]: i["name"] for i in interviewers}
    decorate = functools.partial(presentation.decorate_cell, filters=filters, agreement=agreement, names=names,
                                 version_id=version.pk)
    if columns not in (presentation.COLUMNS_EACH, presentation.COLUMNS_NAME):
        columns = presentation.default_columns(raw)
    column_specs = presentation.interviewer_columns(raw, interviewers, columns)
    return {
        **_meta(resolver, filters),
        "metric": presentation.metric_info(version),
        "versions": presentation.version_choices(versions, with_data, version),
        "alpha": agreement_store.lookup(agreement, version.pk, agreement_store.scope_slice(filters.raters)),
        "models": models,
        "interviewers": interviewers,
        "columns": columns,
        "interviewer_columns": presentation.column_headers(column_specs),
        "rows": presentation.model_rows(raw, models, column_specs, decorate),
        "interviewer_totals": presentation.interviewer_totals(column_specs, agreement, version.pk, decorate),
        "rankings": presentation.ranking_panel(raw, columns, models, column_specs),
        "overall": decorate(raw["overall"], model_id=None, drill={}),
        "factors": presentation.factor_tables(raw["factors"], models, declared=declared_level_order(),
                                              identity=presentation.interviewer_identity(columns, names),
                                              agreement=agreement, version_id=version.pk, decorate=decorate),
        "two_way": presentation.two_way_tables(raw["two_way"], models, decorate),
        "coverage": presentation.coverage_summary(raw["coverage"], filters, version.pk),
    }


def _nominal_detail(version: MetricVersion, versions: list[MetricVersion], with_data: dict[int, int],
                    filters: Filters, resolver: PayloadSource) -> dict[str, Any]:
    """Shares per model, per interviewer and per model × interviewer, with n, Wilson intervals, alpha and marks."""
    raw = nominal.nominal_payload(filters, version)
    models = _model_info({int(m) for m in raw["models"]})
    interviewers = _interviewer_info({int(i) for i in raw["interviewers"]})
    agreement = agreement_store.index([version.pk])
    return {
        **_meta(resolver, filters), "metric": presentation.metric_info(version), "nominal": True,
        "versions": presentation.version_choices(versions, with_data, version),
        "alpha": agreement_store.lookup(agreement, version.pk, agreement_store.scope_slice(filters.raters)),
        "labels": raw["labels"], "models": models, "interviewers": interviewers,
        **nominal.shown(raw, models=models, interviewers=interviewers, filters=filters, agreement=agreement,
                        version_id=version.pk),
        "rows": [], "factors": [], "two_way": [], "interviewer_columns": [],
    }


# ---------------------------------------------------------------------------------------------- coverage


def coverage(filters: Filters) -> dict[str, Any]:
    resolver = PayloadSource(filters)
    raw = resolver.get("coverage", aggregation.coverage_payload)
    versions = _versions(raw["metric_versions"])
    interviewers = _interviewer_info(set(raw["interviewers"]))
    rows = presentation.coverage_rows(raw, versions, interviewers, filters)
    return {**_meta(resolver, filters), "interviewers": interviewers, "rows": rows,
            "adequacy": adequacy.adequacy_payload(filters)}


# ---------------------------------------------------------------------------------------------- agreement


def agreement(filters: Filters) -> dict[str, Any]:
    """Issue 4's public alpha per metric version and slice; filters pick the slices shown."""
    results = agreement_store.results()
    versions = {v.pk: v for v in _versions(sorted({r["metric_version"] for r in results}))}
    by_version = presentation.slices_by_version(filters, results, versions)
    metrics = [presentation.agreement_metric(filters, version, by_version[pk])
               for pk, version in versions.items() if by_version.get(pk)]
    return {"filters": filters.as_dict(), "thresholds": {"min_alpha": conf.min_alpha()}, "metrics": metrics,
            "filters_not_applied": presentation.filters_not_applied(filters)}


# ---------------------------------------------------------------------------------------------- drill-down


def drilldown(filters: Filters, *, metric_version_id: int, cell: Cell, missing: bool, page: int
              ) -> dict[str, Any]:
    version = MetricVersion.objects.select_related("metric").filter(pk=metric_version_id).first()
    if version is None:
        raise Http404("No such metric version.")
    source = sources.source_for(filters)
    offset = (page - 1) * DRILL_PAGE_SIZE
    total, rows = aggregation.drill(source, version.pk, cell, missing=missing, offset=offset, limit=DRILL_PAGE_SIZE)
    interviews = {i.pk: i for i in sources.public_interviews().filter(pk__in=[r.interview_id for r in rows])}
    items = [presentation.interview_item(interviews[row.interview_id], row)
             for row in rows if row.interview_id in interviews]
    found_model = _model_info({cell.model_id}) if cell.model_id is not None else []
    described = {"model": found_model[0] if found_model else None,
                 "interviewers": _interviewer_info(set(cell.interviewer_ids)),
                 "conditions": [list(c) for c in cell.conditions]}
    return {
        "filters": filters.as_dict(), "metric": presentation.metric_info(version), "cell": described,
        "missing": missing, "count": total, "page": page, "pages": max(1, -(-total // DRILL_PAGE_SIZE)),
        "page_size": DRILL_PAGE_SIZE, "interviews": items,
    }


# ---------------------------------------------------------------------------------------------- filter choices


def filter_options() -> dict[str, Any]:
    """What the filter form offers: only values that occur among public interviews (cached)."""
    # Names are on show (reviewers, interviewers, studies): a rename must show at once, as on the pages.
    return cached_page("explorer:options:" + materialize.public_fingerprint() + ":" + page_generation(),
                       _filter_options)


def _filter_options() -> dict[str, Any]:
    public = sources.public_interviews()
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
    # each judge with its prompt versions, newest first; only judges whose values some public number counts
    judges = rater_values.judge_options(public.filter(judge_scores_public_q()).values("pk"))
    reviewer_ids = (Review.objects.filter(kind=Review.Kind.HUMAN, status=Review.Status.SUBMITTED,
                                          interview__in=public.filter(status=Interview.Status.REVIEWED).values("pk"))
                    .values_list("reviewer_id", flat=True).distinct())
    reviewers = sorted(({"id": u.pk, "name": public_name(u)}
                        for u in User.objects.filter(pk__in=reviewer_ids)),
                       key=lambda r: str(r["name"]).lower())
    dates = public.aggregate(first=Min("conducted_on"), last=Max("conducted_on"))
    return {
        "studies": studies, "interviewers": interviewers,
        "factors": [{"factor": f, "levels": sorted(levels)} for f, levels in sorted(factors.items())],
        "topics": sorted(topics, key=str.lower), "judges": judges, "reviewers": reviewers,
        "first_date": dates["first"].isoformat() if dates["first"] else None,
        "last_date": dates["last"].isoformat() if dates["last"] else None,
        "scopes": [{"value": value, "label": label} for value, label in Scope.choices],
    }


def releases() -> list[DatasetRelease]:
    return list(DatasetRelease.objects.filter(status=DatasetRelease.Status.READY).prefetch_related("files")[:20])


def latest_release() -> DatasetRelease | None:
    return DatasetRelease.objects.filter(status=DatasetRelease.Status.READY).prefetch_related("files").first()


