"""From reviews to the explorer's numbers. Reads only; shared by pages, API and the refresh job.

Rows come from `sources`; this module summarises them into cells and page payloads.

Definitions (also shown on the pages, see templates/explorer/_method.html):

1. A *rater* is a human reviewer, or a model judge with one prompt version. A rater's value for an
   interview and a metric version is their blind value: the score in their last revision
   submitted before they could see the other reviews (`reviews.selectors.blind_revision_q`, as for
   headline alpha); for a judge, its replicates that gave a value pooled by `reviews.pooling` (the
   rule the agreement engine uses: mean at interval/ratio, median at ordinal, most frequent label
   at nominal, a tie missing). "Cannot judge" and "not reached" are missing, never zero: they are
   left out of every mean.
2. An interview's *consensus* on a metric version is the mean of its raters' values (each rater
   counts once, however many replicates it ran). Raters are all of them, only humans, only judges,
   or one chosen judge/reviewer, as the filters say.
3. A *cell* (a model; a model and an interviewer; a model and a condition level) is summarised over
   its interviews' consensus values: mean, 95% bootstrap interval over interviews, n interviews,
   quartiles (see `stats.py`). Different versions of a metric are different scales and are never
   pooled: every cell is one metric version.
4. Human reviews are counted once the interview is "reviewed" (reviews are blind until then); model
   judges' reviews are counted on every public interview. Only what an anonymous visitor can list
   counts: submitted, in review or reviewed, and public.
5. Ordinal scores count as their position on the scale, lowest = 0. Nominal metrics have no mean.
"""

from __future__ import annotations

import contextvars
import hashlib
from collections import defaultdict
from collections.abc import Hashable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet

from commons.models import Interview, Interviewer
from reviews.explorer import conf, rankings, rater_values
from reviews.explorer.filters import Filters
from reviews.explorer.models import Scope
from reviews.explorer.sources import NO_INTERVIEWER, Cell, DrillRow, GroupedRow, Source, filtered_interviews
from reviews.explorer.sources import public_interviews  # noqa: F401 - re-exported: benchmarks import it from here
from reviews.explorer.stats import CellStats, rank_descending, seed_for, summarize
from reviews.models import MetricVersion, Review, ScaleType

# Bump when the shape or meaning of a payload changes: stored snapshots of another version are ignored.
PAYLOAD_VERSION = 6

# ---------------------------------------------------------------------------------------------- cells


_known_cells: contextvars.ContextVar[dict[str, dict] | None] = contextvars.ContextVar("explorer_known_cells",
                                                                                      default=None)


def _collect_cells(payload: Any, found: dict[str, dict]) -> None:
    if isinstance(payload, dict):
        if "digest" in payload and "n" in payload:
            found[payload["digest"]] = payload
        for value in payload.values():
            _collect_cells(value, found)
    elif isinstance(payload, list):
        for value in payload:
            _collect_cells(value, found)


@contextmanager
def reusing(previous: Iterable[dict]) -> Iterator[None]:
    """Reuse the statistics of cells whose interviews' values have not changed since `previous` payloads.

    A refresh after a few new reviews then bootstraps only the cells those reviews touched. The
    digest covers the cell's name (its seed) and its histogram, so a reused cell is exactly what
    recomputing it would give.
    """
    found: dict[str, dict] = {}
    for payload in previous:
        _collect_cells(payload, found)
    token = _known_cells.set(found)
    try:
        yield
    finally:
        _known_cells.reset(token)


def cell_payload(hist: dict[float, int], seed_key: str, *, interviewer_ids: Iterable[int],
                 with_histogram: bool = False) -> dict[str, Any]:
    values = sorted(hist)
    replicates = conf.bootstrap_replicates()
    digest = hashlib.sha256(repr((seed_key, replicates, [(v, hist[v]) for v in values])).encode()).hexdigest()[:24]
    known = _known_cells.get()
    if known is not None and digest in known:
        payload = {name: known[digest][name] for name in CellStats.__dataclass_fields__}
    else:
        stats: CellStats = summarize(values, [hist[v] for v in values], seed=seed_for(seed_key), replicates=replicates)
        payload = stats.as_dict()
    payload["digest"] = digest
    payload["interviewer_ids"] = sorted(interviewer_ids)
    payload["interviewers"] = len(payload["interviewer_ids"])
    if with_histogram:
        payload["histogram"] = [[v, hist[v]] for v in sorted(hist)]
    return payload


@dataclass
class _Accumulator:
    hist: dict[float, int] = field(default_factory=lambda: defaultdict(int))
    interviewers: set[int] = field(default_factory=set)

    def add(self, row: GroupedRow) -> None:
        if row.value is not None:
            self.hist[row.value] += row.count
            self.interviewers.add(row.interviewer_id)

    def payload(self, seed_key: str, *, with_histogram: bool = False) -> dict[str, Any]:
        return cell_payload(dict(self.hist), seed_key, interviewer_ids=self.interviewers,
                            with_histogram=with_histogram)


def _averaged(versions: dict[int, MetricVersion]) -> set[int]:
    return {pk for pk, v in versions.items() if v.scale_type != ScaleType.NOMINAL}


def metric_versions(ids: Iterable[int]) -> dict[int, MetricVersion]:
    return {v.pk: v for v in MetricVersion.objects.select_related("metric").filter(pk__in=list(ids))}


def overview_payload(source: Source) -> dict[str, Any]:
    """Models × metric versions: one cell per pair that has interviews with a consensus."""
    rows = source.rows(None, with_conditions=False)
    versions = metric_versions({r.metric_version_id for r in rows})
    averaged = _averaged(versions)
    cells: dict[tuple[int, int], _Accumulator] = defaultdict(_Accumulator)
    totals: dict[int, _Accumulator] = defaultdict(_Accumulator)
    for row in rows:
        if row.metric_version_id in averaged:
            cells[(row.metric_version_id, row.model_id)].add(row)
            totals[row.metric_version_id].add(row)
    payload_cells = {f"{v}:{m}": acc.payload(f"{v}|model={m}") for (v, m), acc in cells.items() if acc.hist}
    return {
        "counts": source.counts(),
        "metric_versions": sorted({v for v, _ in cells if f"{v}:{_}" in payload_cells}),
        "nominal_versions": sorted(set(versions) - averaged),
        "models": sorted({m for (v, m) in cells if f"{v}:{m}" in payload_cells}),
        "cells": payload_cells,
        "totals": {str(v): acc.payload(f"{v}|all") for v, acc in totals.items() if acc.hist},
    }


@dataclass
class _MetricTally:
    """One pass over a metric version's rows: value histograms per model, interviewer (and name), level."""

    names: dict[int, str]  # interviewer → name
    by_model: dict[int, _Accumulator] = field(default_factory=lambda: defaultdict(_Accumulator))
    by_pair: dict[tuple[int, int], _Accumulator] = field(default_factory=lambda: defaultdict(_Accumulator))
    by_interviewer: dict[int, _Accumulator] = field(default_factory=lambda: defaultdict(_Accumulator))
    by_name_pair: dict[tuple[int, str], _Accumulator] = field(default_factory=lambda: defaultdict(_Accumulator))
    by_name: dict[str, _Accumulator] = field(default_factory=lambda: defaultdict(_Accumulator))
    by_level: dict[tuple[int, str, str], _Accumulator] = field(default_factory=lambda: defaultdict(_Accumulator))
    by_two_way: dict[tuple[int, str, str, str, str], _Accumulator] = field(
        default_factory=lambda: defaultdict(_Accumulator))
    overall: _Accumulator = field(default_factory=_Accumulator)
    factor_levels: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    assessed: int = 0
    missing: int = 0

    def add(self, row: GroupedRow) -> None:
        self.assessed += row.count
        if row.value is None:
            self.missing += row.count
            return
        name = self.names[row.interviewer_id]
        self.by_model[row.model_id].add(row)
        self.by_pair[(row.model_id, row.interviewer_id)].add(row)
        self.by_interviewer[row.interviewer_id].add(row)
        self.by_name_pair[(row.model_id, name)].add(row)
        self.by_name[name].add(row)
        self.overall.add(row)
        for factor, level in row.conditions:
            self.factor_levels[factor].add(level)
            self.by_level[(row.model_id, factor, level)].add(row)
        for (f1, l1) in row.conditions:
            for (f2, l2) in row.conditions:
                if f1 < f2:
                    self.by_two_way[(row.model_id, f1, l1, f2, l2)].add(row)


def metric_payload(source: Source, version: MetricVersion) -> dict[str, Any]:
    """One metric version: per model, per model × interviewer, per model × condition level; coverage."""
    rows = source.rows([version.pk], with_conditions=True)
    tally = _MetricTally(interviewer_names({r.interviewer_id for r in rows}))
    for row in rows:
        tally.add(row)
    v = version.pk
    models = sorted(tally.by_model)
    interviewers = sorted(tally.by_interviewer)
    name_list = sorted(tally.by_name, key=str.lower)
    return {
        "metric_version": v,
        "models": models,
        "interviewers": interviewers,
        "by_model": _model_cells(tally, v, models),
        "by_model_interviewer": _pair_cells(tally, v, models, interviewers),
        "by_interviewer": {str(i): acc.payload(f"{v}|interviewer={i}") for i, acc in tally.by_interviewer.items()},
        "interviewer_names": [{"name": n, "interviewer_ids": sorted(i for i in interviewers if tally.names[i] == n)}
                              for n in name_list],
        "by_model_interviewer_name": _name_pair_cells(tally, v, models, name_list),
        "by_interviewer_name": {n: acc.payload(f"{v}|interviewer-name={n}") for n, acc in tally.by_name.items()},
        "overall": tally.overall.payload(f"{v}|all") if tally.overall.hist else None,
        "factors": _factor_cells(tally, v, models),
        "two_way": _two_way_cells(tally, v),
        "coverage": {"assessed": tally.assessed, "missing": tally.missing},
        "rankings": _rankings(tally, v, models),
    }


def _rankings(tally: _MetricTally, v: int, models: list[int]) -> dict[str, dict[str, Any]]:
    """Balanced means, ranks and rank agreement, for each interviewer and for interviewer names (stances pooled)."""
    replicates = conf.bootstrap_replicates()
    each: dict[tuple[Hashable, Hashable], rankings.Histogram] = {
        (m, str(i)): _histogram(acc) for (m, i), acc in tally.by_pair.items()}
    named: dict[tuple[Hashable, Hashable], rankings.Histogram] = {
        (m, n): _histogram(acc) for (m, n), acc in tally.by_name_pair.items()}
    names: list[str] = sorted(tally.by_name, key=str.lower)
    return {
        "each": rankings.rank_table(each, models, [str(i) for i in sorted(tally.by_interviewer)],
                                    seed=seed_for(f"{v}|rankings|each"), replicates=replicates).as_dict(),
        "name": rankings.rank_table(named, models, names,
                                    seed=seed_for(f"{v}|rankings|name"), replicates=replicates).as_dict(),
    }


def _histogram(acc: _Accumulator) -> tuple[list[float], list[int]]:
    values = sorted(acc.hist)
    return values, [acc.hist[value] for value in values]


def _model_cells(tally: _MetricTally, v: int, models: list[int]) -> dict[str, dict[str, Any]]:
    """Per model, with its histogram and its rank among the models."""
    cells = {str(m): acc.payload(f"{v}|model={m}", with_histogram=True) for m, acc in tally.by_model.items()}
    for m, r in zip(models, rank_descending([cells[str(m)]["mean"] for m in models]), strict=True):
        cells[str(m)]["rank"] = r
    return cells


def _pair_cells(tally: _MetricTally, v: int, models: list[int], interviewers: list[int]) -> dict[str, dict[str, Any]]:
    """Per model × interviewer, ranked among the models within each interviewer's column."""
    pairs = {f"{m}:{i}": acc.payload(f"{v}|model={m}|interviewer={i}") for (m, i), acc in tally.by_pair.items()}
    ranks: dict[str, int | None] = {}
    for i in interviewers:
        column = [pairs.get(f"{m}:{i}", {}).get("mean") for m in models]
        ranks.update({f"{m}:{i}": r for m, r in zip(models, rank_descending(column), strict=True)})
    for key, cell in pairs.items():
        cell["rank"] = ranks.get(key)
    return pairs


def _name_pair_cells(tally: _MetricTally, v: int, models: list[int], name_list: list[str]
                     ) -> dict[str, dict[str, Any]]:
    """Per model × interviewer name (stances pooled), ranked among the models within each name's column."""
    name_pairs = {f"{m}|{n}": acc.payload(f"{v}|model={m}|interviewer-name={n}")
                  for (m, n), acc in tally.by_name_pair.items()}
    for n in name_list:
        column = [name_pairs.get(f"{m}|{n}", {}).get("mean") for m in models]
        for m, r in zip(models, rank_descending(column), strict=True):
            if f"{m}|{n}" in name_pairs:
                name_pairs[f"{m}|{n}"]["rank"] = r
    return name_pairs


def _factor_cells(tally: _MetricTally, v: int, models: list[int]) -> list[dict[str, Any]]:
    factors = []
    for factor in sorted(tally.factor_levels):
        levels = sorted(tally.factor_levels[factor])
        by_level = tally.by_level
        cells = {f"{m}:{level}": by_level[(m, factor, level)].payload(f"{v}|model={m}|{factor}={level}")
                 for m in models for level in levels if by_level[(m, factor, level)].hist}
        factors.append({"factor": factor, "levels": levels, "cells": cells})
    return factors


def _two_way_cells(tally: _MetricTally, v: int) -> list[dict[str, Any]]:
    two_way = []
    factor_names = sorted(tally.factor_levels)
    for a_index, first in enumerate(factor_names):
        for second in factor_names[a_index + 1:]:
            cells = {f"{m}:{l1}:{l2}": acc.payload(f"{v}|model={m}|{first}={l1}|{second}={l2}")
                     for (m, f1, l1, f2, l2), acc in tally.by_two_way.items()
                     if f1 == first and f2 == second and acc.hist}
            if cells:
                two_way.append({"factors": [first, second], "levels": [sorted(tally.factor_levels[first]),
                                                                       sorted(tally.factor_levels[second])],
                                "cells": cells})
    return two_way


def interviewer_names(ids: Iterable[int]) -> dict[int, str]:
    """Interviewer → its name (stances of one name pooled); interviews without one are "Not recorded"."""
    names = dict(Interviewer.objects.filter(pk__in=[i for i in ids if i != NO_INTERVIEWER]).values_list("pk", "name"))
    return {i: names.get(i, "Not recorded") for i in ids}


def coverage_payload(source: Source) -> dict[str, Any]:
    """Per interviewer and metric version: interviews assessed, and how many had no value at all."""
    rows = source.rows(None, with_conditions=False)
    counts: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        entry = counts[(row.interviewer_id, row.metric_version_id)]
        entry[0] += row.count
        if row.value is None:
            entry[1] += row.count
    return {
        "interviewers": sorted({i for i, _ in counts}),
        "metric_versions": sorted({v for _, v in counts}),
        "cells": {f"{i}:{v}": {"assessed": a, "missing": m, "share_missing": m / a if a else None}
                  for (i, v), (a, m) in counts.items()},
    }


def drill(source: Source, metric_version_id: int, cell: Cell, *, missing: bool, offset: int, limit: int
          ) -> tuple[int, list[DrillRow]]:
    return source.drill(metric_version_id, cell, missing=missing, offset=offset, limit=limit)


def counted_reviews(filters: Filters) -> QuerySet[Review]:
    """The reviews whose labels a label-share page counts: the filters' interviews, raters and scope."""
    interviews = filtered_interviews(filters)
    reviews = Review.objects.filter(status=Review.Status.SUBMITTED, interview__in=interviews.values("pk")).filter(
        Q(kind=Review.Kind.JUDGE) | Q(interview__status=Interview.Status.REVIEWED))
    single = filters.single_rater
    if single and single[0] == Scope.JUDGE:
        prompt = filters.prompt_version or rater_values.counted_judge_versions().get(single[1], "")
        return reviews.filter(kind=Review.Kind.JUDGE, judge_id=single[1], prompt_version=prompt)
    if single:
        return reviews.filter(kind=Review.Kind.HUMAN, reviewer_id=single[1])
    reviews = reviews.filter(rater_values.counted_reviews_q())  # each judge's newest prompt version
    if filters.raters != Scope.ALL:
        reviews = reviews.filter(kind=filters.raters)
    return reviews
