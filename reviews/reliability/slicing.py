"""From one metric version's current scores to the (unit, rater, value) triples of every slice, and their alpha.

Pure Python and numpy, no ORM: `services` loads the rows, this module decides who is a rater in
which slice, and `reviews.agreement` does the statistics.

Units and raters
----------------
A unit is an interview. Only the current (latest submitted) revision of each review counts, and a
missing value ("cannot judge", "not probed") is no rating at all.

- A human reviewer is one rater (``human:<user id>``).
- A model judge is identified by judge and prompt version (``judge:<judge id>:<prompt version>``).
  Its replicates are repeated measurements by one rater, not independent raters: counted as
  separate raters beside humans they would inflate the pairable values and let a judge's
  self-consistency pass for inter-rater agreement. So wherever judges sit beside other raters, a
  judge contributes one value per interview, its replicates **pooled by the one rule the explorer
  uses too** (`reviews.pooling`): the mean at the interval and ratio levels, the median at ordinal
  (the lower middle value for an even count), the most frequent label at nominal — a tie is
  missing, and the judge then gives no value for that interview.
- Prompt versions are never pooled. Where judges sit beside other raters (every slice but
  ``judge_replicates``) a judge counts with its **newest** prompt version only
  (`reviews.prompt_versions`), so an older rubric's scores never pass for a second rater.
- The judge's self-consistency is its own slice, ``judge_replicates``: there the raters are the
  replicate numbers (0, 1, 2, ...) of one judge and prompt version (test-retest agreement); every
  prompt version has its own.
- ``human_judge`` asks whether the model judges rate like the humans: two raters per interview,
  the human panel (consensus of the human reviewers, by the rule above) and the judge panel
  (consensus of the judges' consensus values). Human-to-human disagreement is in
  ``reviewer_kind=human``; how far one judge is interchangeable with a human shows in its
  leave-one-out row of the ``all`` slice.

Slices
------
``all`` (humans and judges, as above), ``study``, ``target_model``, ``interviewer``, ``condition``
(one slice per factor=level) use the same raters restricted to those interviews;
``reviewer_kind`` is ``human`` (human reviewers only) or ``judge`` (judges only, one rater each:
with two judges this is "judge A vs judge B"); ``human_judge`` and ``judge_replicates`` as above.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np

from reviews.agreement import (
    AlphaResult,
    BootstrapInterval,
    Ratings,
    bootstrap_replicates,
    compute_alpha,
    pairwise_alpha,
    percentile_interval,
    probability_below,
    rater_agreement,
    unit_dispersion,
)
from reviews.pooling import pool
from reviews.prompt_versions import newest_per_judge

# Bump when the meaning of a stored result changes, so every fingerprint changes with it.
# 2: a judge's replicates pooled by `reviews.pooling` (mean at interval/ratio, was the median);
#    beside other raters only a judge's newest prompt version counts.
# 3: Krippendorff's q (bootstrap probability that alpha is below each of Q_THRESHOLDS) stored too.
ALGORITHM_VERSION = 3

# Krippendorff (2004, 2019): rely on alpha >= .800; tentative conclusions from .667 up.
Q_THRESHOLDS = (0.667, 0.800)
# Below this many pairable units percentile intervals under-cover: results are marked "small sample".
SMALL_SAMPLE_UNITS = 30

NUMERIC_LEVELS = ("interval", "ratio")

HUMAN_PANEL = "panel:human"
JUDGE_PANEL = "panel:judge"


@dataclass(frozen=True)
class RatingRow:
    """One non-missing score of one current revision."""

    unit: int
    kind: str  # "human" | "judge"
    reviewer_id: int | None
    judge_id: int | None
    prompt_version: str
    replicate: int | None
    value: Any  # float for interval/ratio, the label for nominal/ordinal


@dataclass(frozen=True)
class UnitInfo:
    study_id: int | None
    target_model_id: int
    interviewer_id: int | None
    conditions: dict[str, Any]
    public: bool  # every review counts publicly: listed to anyone and reviewed (the blind rule is over)
    listed: bool = False  # listed to anyone
    judge_scores_published: bool = False  # its study publishes judge scores: they count publicly while listed


@dataclass(frozen=True)
class Scale:
    level: str
    domain: tuple[Hashable, ...] | None  # labels in scale order, None for numbers

    def order_key(self) -> Callable[[Any], Any]:
        if self.domain is None:
            return float
        index = {label: i for i, label in enumerate(self.domain)}
        return index.__getitem__


@dataclass
class SliceInput:
    """The triples of one slice, before any statistics."""

    audience: str
    slice_type: str
    slice_value: str
    slice_label: str
    units: list[int] = field(default_factory=list)
    raters: list[str] = field(default_factory=list)
    values: list[Any] = field(default_factory=list)
    # Humans and judges rated a unit whose judge scores were public while it was in human review: the
    # human reviewers could have seen them, so their agreement with the judges is not independent.
    judge_scores_public_before_review: bool = False

    @property
    def key(self) -> tuple[str, str, str]:
        return self.audience, self.slice_type, self.slice_value

    def add(self, unit: int, rater: str, value: Any) -> None:
        self.units.append(unit)
        self.raters.append(rater)
        self.values.append(value)


@dataclass(frozen=True)
class Labels:
    """Display names for slice values and raters."""

    studies: dict[int, str] = field(default_factory=dict)
    target_models: dict[int, str] = field(default_factory=dict)
    interviewers: dict[int, str] = field(default_factory=dict)
    judges: dict[int, str] = field(default_factory=dict)
    reviewers: dict[int, str] = field(default_factory=dict)


# --------------------------------------------------------------------------- consensus


def consensus(values: Sequence[Any], scale: Scale) -> Any | None:
    """One value standing for several ratings of one unit, by `reviews.pooling` (None: a nominal tie)."""
    if not values:
        raise ValueError("consensus of no values")
    return pool(values, scale.level, scale.order_key())


def judge_key(judge_id: int, prompt_version: str) -> str:
    return f"{judge_id}:{prompt_version}"


def judge_rater(judge_id: int, prompt_version: str) -> str:
    return f"judge:{judge_key(judge_id, prompt_version)}"


def judge_label(labels: Labels, judge_id: int, prompt_version: str) -> str:
    name = labels.judges.get(judge_id, f"judge {judge_id}")
    return f"{name} (prompt {prompt_version})" if prompt_version else name


def rater_label(key: str, labels: Labels) -> str:
    kind, _, rest = key.partition(":")
    if kind == "human":
        return labels.reviewers.get(int(rest), f"reviewer {rest}")
    if kind == "judge":
        judge_id, _, prompt_version = rest.partition(":")
        return judge_label(labels, int(judge_id), prompt_version)
    if kind == "replicate":
        return f"replicate {rest}"
    if key == HUMAN_PANEL:
        return "Human panel (consensus)"
    if key == JUDGE_PANEL:
        return "Judge panel (consensus)"
    return key


# --------------------------------------------------------------------------- slices


def condition_items(conditions: dict[str, Any]) -> Iterable[tuple[str, str]]:
    for factor, level in sorted(conditions.items()):
        if level is None or level == "":
            continue
        text = level if isinstance(level, str) else json.dumps(level, sort_keys=True)
        yield str(factor), text


def build_slices(rows: Sequence[RatingRow], units: dict[int, UnitInfo], scale: Scale, labels: Labels,
                 *, audiences: Sequence[str] = ("internal", "public")) -> list[SliceInput]:
    """Every slice of one metric version, per audience; units missing from ``units`` are excluded.

    `all` is always present (possibly empty); other slices only when they hold a rating.
    """
    humans: list[tuple[int, str, Any]] = []
    replicates: dict[tuple[int, str], list[tuple[int, int, Any]]] = defaultdict(list)
    for row in rows:
        if row.unit not in units:
            continue
        if row.kind == "human":
            humans.append((row.unit, f"human:{row.reviewer_id}", row.value))
        else:
            assert row.judge_id is not None and row.replicate is not None
            replicates[(row.judge_id, row.prompt_version)].append((row.unit, row.replicate, row.value))

    judges: list[tuple[int, str, Any]] = []
    counted = newest_per_judge(replicates)  # beside other raters a judge counts with its newest prompt version
    for (judge_id, prompt_version), ratings in sorted(replicates.items()):
        if counted[judge_id] != prompt_version:
            continue
        per_unit: dict[int, list[Any]] = defaultdict(list)
        for unit, _, value in sorted(ratings, key=lambda r: (r[0], r[1])):
            per_unit[unit].append(value)
        rater = judge_rater(judge_id, prompt_version)
        pooled = ((unit, consensus(values, scale)) for unit, values in per_unit.items())
        judges.extend((unit, rater, value) for unit, value in pooled if value is not None)

    out: list[SliceInput] = []
    for audience in audiences:
        kept = {
            "human": {u for u, info in units.items() if audience == "internal" or info.public},
            "judge": {u for u, info in units.items()
                      if audience == "internal" or info.public or (info.listed and info.judge_scores_published)},
        }
        out.extend(_audience_slices(audience, kept, humans, judges, replicates, units, scale, labels))
    published = {u for u, info in units.items() if info.judge_scores_published}
    for piece in out:
        piece.judge_scores_public_before_review = bool(published) and _humans_beside_published_judges(piece, published)
    return out


def _humans_beside_published_judges(piece: SliceInput, published: set[int]) -> bool:
    """Whether some unit of the slice with published judge scores has both a human's and a judge's value."""
    kinds: dict[int, set[bool]] = defaultdict(set)
    for unit, rater in zip(piece.units, piece.raters, strict=True):
        if unit in published:
            is_human = rater.startswith("human:") or rater == HUMAN_PANEL
            if is_human or rater.startswith("judge:") or rater == JUDGE_PANEL:
                kinds[unit].add(is_human)
    return any(len(found) == 2 for found in kinds.values())


class _Slices:
    """The slices of one audience, created on first use."""

    def __init__(self, audience: str) -> None:
        self.audience = audience
        self.by_key: dict[tuple[str, str], SliceInput] = {}

    def get(self, slice_type: str, value: str, label: str) -> SliceInput:
        found = self.by_key.get((slice_type, value))
        if found is None:
            found = self.by_key[(slice_type, value)] = SliceInput(self.audience, slice_type, value[:200], label[:300])
        return found


def _unit_targets(slices: _Slices, everything: SliceInput, kind: str, kind_label: str, info: UnitInfo,
                  labels: Labels) -> list[SliceInput]:
    """The slices a rating of this kind on this unit counts in."""
    targets = [everything, slices.get("reviewer_kind", kind, kind_label),
               slices.get("target_model", str(info.target_model_id),
                          labels.target_models.get(info.target_model_id, f"model {info.target_model_id}"))]
    if info.study_id is not None:
        targets.append(slices.get("study", str(info.study_id),
                                  labels.studies.get(info.study_id, f"study {info.study_id}")))
    if info.interviewer_id is not None:
        targets.append(slices.get("interviewer", str(info.interviewer_id),
                                  labels.interviewers.get(info.interviewer_id, f"interviewer {info.interviewer_id}")))
    targets.extend(slices.get("condition", f"{factor}={level}", f"{factor}: {level}")
                   for factor, level in condition_items(info.conditions))
    return targets


def _audience_slices(audience: str, kept: dict[str, set[int]], humans: list[tuple[int, str, Any]],
                     judges: list[tuple[int, str, Any]],
                     replicates: dict[tuple[int, str], list[tuple[int, int, Any]]],
                     units: dict[int, UnitInfo], scale: Scale, labels: Labels) -> list[SliceInput]:
    slices = _Slices(audience)
    everything = slices.get("all", "", "All interviews")
    for kind, ratings in (("human", humans), ("judge", judges)):
        kind_label = "Human reviewers only" if kind == "human" else "Model judges only (one rater per judge)"
        targets_of: dict[int, list[SliceInput]] = {}  # a unit's slices, worked out once for all its ratings
        for unit, rater, value in ratings:
            targets = targets_of.get(unit)
            if targets is None:
                if unit not in kept[kind]:
                    continue
                targets = targets_of[unit] = _unit_targets(slices, everything, kind, kind_label, units[unit], labels)
            for target in targets:
                target.add(unit, rater, value)

    human_panel: dict[int, list[Any]] = defaultdict(list)
    judge_panel: dict[int, list[Any]] = defaultdict(list)
    for panel, ratings, kind in ((human_panel, humans, "human"), (judge_panel, judges, "judge")):
        for unit, _, value in ratings:
            if unit in kept[kind]:
                panel[unit].append(value)
    if human_panel and judge_panel:
        panels = slices.get("human_judge", "", "Human panel vs judge panel (consensus of each)")
        for unit in sorted(human_panel.keys() | judge_panel.keys()):
            for rater, panel in ((HUMAN_PANEL, human_panel), (JUDGE_PANEL, judge_panel)):
                value = consensus(panel[unit], scale) if unit in panel else None
                if value is not None:
                    panels.add(unit, rater, value)

    for (judge_id, prompt_version), replicate_ratings in sorted(replicates.items()):
        own_ratings = [r for r in replicate_ratings if r[0] in kept["judge"]]
        if not own_ratings:
            continue
        own = slices.get("judge_replicates", judge_key(judge_id, prompt_version),
                         f"{judge_label(labels, judge_id, prompt_version)}: its replicates")
        for unit, replicate, value in own_ratings:
            own.add(unit, f"replicate:{replicate}", value)
    return list(slices.by_key.values())


# --------------------------------------------------------------------------- fingerprint and statistics


@dataclass(frozen=True)
class Params:
    n_replicates: int
    confidence: float


def fingerprint(piece: SliceInput, scale: Scale, params: Params) -> str:
    """SHA-256 of the exact (unit, rater, value) triples, in canonical order, and the settings."""
    digest = hashlib.sha256()
    header = {"algorithm": ALGORITHM_VERSION, "level": scale.level,
              "domain": list(scale.domain) if scale.domain is not None else None,
              "replicates": params.n_replicates, "confidence": params.confidence}
    if piece.judge_scores_public_before_review:  # only when set: other slices keep their stored fingerprints
        header["judge_scores_public_before_review"] = True
    digest.update(json.dumps(header, sort_keys=True, ensure_ascii=False).encode())
    units = np.asarray(piece.units, dtype="<i8")
    rater_names, rater_codes = np.unique(np.asarray(piece.raters, dtype=str), return_inverse=True)
    rater_codes = rater_codes.reshape(-1).astype("<i8")
    if scale.domain is None:
        values = np.asarray(piece.values, dtype="<f8")
    else:
        index = {label: i for i, label in enumerate(scale.domain)}
        values = np.asarray([index[v] for v in piece.values], dtype="<i8")
    order = np.lexsort((rater_codes, units))
    digest.update(b"\x00" + "\x1f".join(rater_names.tolist()).encode())
    for column in (units, rater_codes, values):
        digest.update(b"\x00" + column[order].tobytes())
    return digest.hexdigest()


def seed_for(fingerprint_hex: str) -> int:
    """The bootstrap seed: derived from the inputs, so a recompute of the same inputs gives the same interval."""
    return int(fingerprint_hex[:8], 16)


@dataclass
class SliceStatistics:
    alpha: AlphaResult
    interval: BootstrapInterval
    q: dict[float, float | None]  # threshold → share of bootstrap alphas below it (Krippendorff's q)
    seed: int
    n_units_rated: int
    n_ratings: int
    raters: list[dict[str, Any]]
    pairwise: dict[str, Any]
    ratings: Ratings


def _finite_or_none(value: float | None) -> float | None:
    if value is None or not np.isfinite(value):
        return None
    return float(value)


@dataclass(frozen=True)
class _Headline:
    ratings: Ratings
    alpha: AlphaResult
    interval: BootstrapInterval
    q: dict[float, float | None]


# Statistics of slices already computed in this recompute, by fingerprint: slices with the same triples
# (a public slice equal to its internal one, "all" equal to the only study) are computed once.
HeadlineMemo = dict[str, _Headline]


def _headline(piece: SliceInput, scale: Scale, params: Params, seed: int) -> _Headline:
    ratings = Ratings.from_triples(np.asarray(piece.units, dtype=np.int64), _rater_array(piece.raters), piece.values,
                                   level=scale.level, value_domain=scale.domain)  # type: ignore[arg-type]
    alpha = compute_alpha(ratings)
    interval, q = BootstrapInterval(None, None, 0), dict.fromkeys(Q_THRESHOLDS)
    if alpha.alpha is not None and params.n_replicates > 0:
        replicates = bootstrap_replicates(ratings, n_replicates=params.n_replicates, seed=seed)
        interval = percentile_interval(replicates, params.confidence)
        q = {threshold: probability_below(replicates, threshold) for threshold in Q_THRESHOLDS}
    return _Headline(ratings, alpha, interval, q)


def _rater_array(raters: list[str]) -> Any:
    """Rater keys as a numpy string array (coded by one sort instead of a Python loop); a list if empty."""
    return np.asarray(raters, dtype=str) if raters else raters


def slice_statistics(piece: SliceInput, scale: Scale, params: Params, fingerprint_hex: str, labels: Labels,
                     *, with_raters: bool, max_pairwise_raters: int,
                     memo: HeadlineMemo | None = None) -> SliceStatistics:
    seed = seed_for(fingerprint_hex)
    found = memo.get(fingerprint_hex) if memo is not None else None
    if found is None:
        found = _headline(piece, scale, params, seed)
        if memo is not None:
            memo[fingerprint_hex] = found
    ratings, alpha, interval, q = found.ratings, found.alpha, found.interval, found.q
    raters: list[dict[str, Any]] = []
    pairwise: dict[str, Any] = {}
    if with_raters and ratings.n_ratings:
        for row in rater_agreement(ratings):
            raters.append({
                "key": str(row.rater_id),
                "label": rater_label(str(row.rater_id), labels),
                "n_units": row.n_units,
                "alpha_without": _finite_or_none(row.alpha_without.alpha),
                "alpha_without_reason": row.alpha_without.reason or "",
                "agreement_with_rest": _finite_or_none(row.agreement_with_rest),
                "reason": row.reason or "",
            })
        if 2 <= len(ratings.rater_ids) <= max_pairwise_raters:
            matrix = pairwise_alpha(ratings)
            pairwise = {
                "raters": [str(r) for r in matrix.rater_ids],
                "labels": [rater_label(str(r), labels) for r in matrix.rater_ids],
                "alpha": [[_finite_or_none(v) for v in row] for row in matrix.alpha.tolist()],
                "n_units": matrix.n_units.tolist(),
            }
    return SliceStatistics(alpha, interval, q, seed, len(set(piece.units)), ratings.n_ratings, raters, pairwise,
                           ratings)


@dataclass(frozen=True)
class UnitRow:
    unit: int
    n_values: int
    values: list[Any]
    mean_pairwise_difference: float
    relative_disagreement: float | None
    value_range: float | None
    value_std: float | None


def display_value(value: Any) -> Any:
    return f"{value:g}" if isinstance(value, float) else value


def unit_rows(piece: SliceInput, ratings: Ratings, scale: Scale) -> list[UnitRow]:
    """Per-unit disagreement of a slice (its pairable units)."""
    if ratings.n_ratings == 0:
        return []
    dispersion = unit_dispersion(ratings)
    key = scale.order_key()
    values_of: dict[int, list[Any]] = defaultdict(list)
    for unit, value in zip(piece.units, piece.values, strict=True):
        values_of[unit].append(value)
    out = []
    for i, unit in enumerate(cast(list[int], dispersion.unit_ids)):  # a slice's units are interview ids
        relative = None if dispersion.relative_disagreement is None else _finite_or_none(
            float(dispersion.relative_disagreement[i]))
        out.append(UnitRow(
            unit=int(unit),
            n_values=int(dispersion.n_values[i]),
            values=[display_value(v) for v in sorted(values_of[unit], key=key)],
            mean_pairwise_difference=float(dispersion.mean_pairwise_difference[i]),
            relative_disagreement=relative,
            value_range=None if dispersion.value_range is None else _finite_or_none(float(dispersion.value_range[i])),
            value_std=None if dispersion.value_std is None else _finite_or_none(float(dispersion.value_std[i])),
        ))
    return out
