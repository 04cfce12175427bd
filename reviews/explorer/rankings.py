"""Interviewer-balanced means, ranks and rank agreement between interviewers: pure numpy, no Django.

Input: per model × interviewer cell, the histogram of its interviews' consensus values (the same
cells the metric page shows under "By interviewer"). Only models with a value under every
interviewer given are ranked (the *common* models); the others are listed as excluded.

- ``balanced``: a model's mean of its per-interviewer means, each interviewer weighing the same
  however many interviews it ran (the Still Alive study's "Mean" column).
- ranks: 1 = highest mean, among the common models; ties share the average of the ranks they span
  (``scipy.stats.rankdata(-x, method="average")``), under each interviewer and under ``balanced``.
- Spearman's rho between two interviewers: the Pearson correlation of their average ranks
  (``scipy.stats.spearmanr``); Kendall's tau-b: (concordant − discordant pairs) /
  sqrt(pairs untied in x × pairs untied in y) (``scipy.stats.kendalltau``). Undefined (None) below
  ``MIN_MODELS_FOR_AGREEMENT`` common models or when a ranking is all ties.
- Intervals: percentile bootstrap. Each replicate resamples every cell's interviews with
  replacement within the cell (model × interviewer; the cells' sizes are kept), recomputes the
  cell means and from them everything above; the interval is the 2.5th and 97.5th percentile
  (numpy's linear quantile) over replicates. Rank intervals can be fractional (average ranks);
  replicates where rho or tau is undefined are left out of its interval.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
import warnings
from itertools import combinations
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from reviews.explorer.stats import CONFIDENCE, DEFAULT_REPLICATES, FloatArray, resampled_means

MIN_MODELS_FOR_AGREEMENT: Final = 3  # rank agreement over two models is ±1 by construction

Histogram = tuple[Sequence[float], Sequence[int]]


def average_ranks(scores: npt.ArrayLike) -> FloatArray:
    """Descending ranks along the last axis (1 = highest); ties get the mean of the ranks they span."""
    x = np.asarray(scores, dtype=np.float64)
    others, own = x[..., None, :], x[..., :, None]
    higher = (others > own).sum(axis=-1)
    tied = (others == own).sum(axis=-1)  # counts itself
    ranks: FloatArray = (1.0 + higher + (tied - 1) / 2.0).astype(np.float64)
    return ranks


def _pearson(x: FloatArray, y: FloatArray) -> FloatArray:
    xc = x - x.mean(axis=-1, keepdims=True)
    yc = y - y.mean(axis=-1, keepdims=True)
    spread = np.sqrt((xc * xc).sum(axis=-1) * (yc * yc).sum(axis=-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        out: FloatArray = np.where(spread > 0, (xc * yc).sum(axis=-1) / spread, np.nan)
    return out


def spearman_rho(x: npt.ArrayLike, y: npt.ArrayLike) -> FloatArray:
    """Spearman's rho along the last axis (NaN where a side is all ties)."""
    return _pearson(average_ranks(x), average_ranks(y))


def kendall_tau_b(x: npt.ArrayLike, y: npt.ArrayLike) -> FloatArray:
    """Kendall's tau-b along the last axis (NaN where a side is all ties)."""
    a, b = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    upper = np.triu_indices(a.shape[-1], k=1)
    da = np.sign(a[..., :, None] - a[..., None, :])[..., upper[0], upper[1]]
    db = np.sign(b[..., :, None] - b[..., None, :])[..., upper[0], upper[1]]
    untied = (da != 0).sum(axis=-1) * (db != 0).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out: FloatArray = np.where(untied > 0, (da * db).sum(axis=-1) / np.sqrt(untied), np.nan)
    return out


def _interval(replicates: FloatArray, confidence: float) -> FloatArray:
    """Percentile interval along axis 0, leaving NaN replicates out (NaN where none is defined)."""
    tail = (1.0 - confidence) / 2.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN slice: its interval is NaN
        low, high = np.nanquantile(replicates, [tail, 1.0 - tail], axis=0)
    return np.stack([low, high], axis=-1)


def _number(value: Any) -> float | None:
    number = float(value)
    return None if np.isnan(number) else number


def _pair(values: FloatArray) -> list[float] | None:
    low, high = (_number(v) for v in values)
    return None if low is None or high is None else [low, high]


@dataclass(frozen=True)
class RankTable:
    models: list[Hashable]  # the common models, in the order given
    columns: list[Hashable]
    excluded: list[Hashable]  # models missing under at least one column
    means: FloatArray  # (models, columns)
    replicate_means: FloatArray  # (replicates, models, columns)
    confidence: float

    @property
    def balanced(self) -> FloatArray:
        out: FloatArray = self.means.mean(axis=-1)
        return out

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: rows per common model and one entry per pair of columns."""
        k, c = self.means.shape
        rows: list[dict[str, Any]] = []
        pairs = [self._agreement(a, b) for a, b in combinations(range(c), 2)]
        if k:
            boot_balanced = self.replicate_means.mean(axis=-1)
            ranks = average_ranks(self.means.T).T  # ranked within each column
            boot_ranks = average_ranks(np.swapaxes(self.replicate_means, 1, 2))  # (replicates, columns, models)
            rank_ci = _interval(boot_ranks, self.confidence)  # (columns, models, 2)
            balanced_rank = average_ranks(self.balanced)
            balanced_rank_ci = _interval(average_ranks(boot_balanced), self.confidence)
            balanced_ci = _interval(boot_balanced, self.confidence)
            for i, model in enumerate(self.models):
                rows.append({
                    "model": model, "balanced_mean": float(self.balanced[i]),
                    "balanced_ci": _pair(balanced_ci[i]),
                    "balanced_rank": float(balanced_rank[i]),
                    "balanced_rank_ci": _pair(balanced_rank_ci[i]),
                    "means": [float(v) for v in self.means[i]],
                    "ranks": [float(r) for r in ranks[i]],
                    "rank_ci": [_pair(rank_ci[j, i]) for j in range(c)],
                })
        return {"columns": list(self.columns), "models": list(self.models), "excluded": list(self.excluded),
                "rows": rows, "pairs": pairs, "replicates": int(self.replicate_means.shape[0]),
                "confidence": self.confidence}

    def _agreement(self, a: int, b: int) -> dict[str, Any]:
        n = len(self.models)
        found: dict[str, Any] = {"a": self.columns[a], "b": self.columns[b], "models": n}
        if n < MIN_MODELS_FOR_AGREEMENT:
            return {**found, "rho": None, "rho_ci": None, "tau": None, "tau_ci": None}
        x, y = self.means[:, a], self.means[:, b]
        bx, by = self.replicate_means[:, :, a], self.replicate_means[:, :, b]
        rho_ci = _interval(spearman_rho(bx, by)[:, None], self.confidence)[0]
        tau_ci = _interval(kendall_tau_b(bx, by)[:, None], self.confidence)[0]
        return {**found, "rho": _number(spearman_rho(x, y)), "rho_ci": _pair(rho_ci),
                "tau": _number(kendall_tau_b(x, y)), "tau_ci": _pair(tau_ci)}


def rank_table(cells: Mapping[tuple[Hashable, Hashable], Histogram], models: Sequence[Hashable],
               columns: Sequence[Hashable], *, seed: int, replicates: int = DEFAULT_REPLICATES,
               confidence: float = CONFIDENCE) -> RankTable:
    """Balanced means, ranks and pairwise agreement of `columns` over the models present in all of them.

    `cells[(model, column)]` is the histogram (distinct values, counts) of that cell's interviews;
    a missing or empty cell leaves the model out. The bootstrap draws cells in (model, column)
    order from ``numpy.random.default_rng(seed)``: the same cells and seed give the same intervals.
    """
    def present(model: Hashable, column: Hashable) -> bool:
        found = cells.get((model, column))
        return found is not None and sum(found[1]) > 0

    common = [m for m in models if columns and all(present(m, c) for c in columns)]
    excluded = [m for m in models if m not in common]
    means = np.zeros((len(common), len(columns)))
    boot = np.zeros((replicates, len(common), len(columns)))
    rng = np.random.default_rng(seed)
    for i, model in enumerate(common):
        for j, column in enumerate(columns):
            values, counts = cells[(model, column)]
            v, n = np.asarray(values, dtype=np.float64), np.asarray(counts, dtype=np.int64)
            means[i, j] = float(np.dot(v, n) / n.sum())
            boot[:, i, j] = resampled_means(v, n, replicates=replicates, rng=rng)
    return RankTable(models=common, columns=list(columns), excluded=excluded, means=means, replicate_means=boot,
                     confidence=confidence)
