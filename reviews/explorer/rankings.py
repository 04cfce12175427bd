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


def agreement_matrices(scores: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Spearman's rho and Kendall's tau-b between every two columns of ``scores`` (..., models, columns).

    Returns two (..., columns, columns) arrays, NaN where a column is all ties. rho is the Pearson
    correlation of the average ranks; tau-b is (concordant − discordant) / sqrt(untied_a × untied_b),
    read off the Gram matrix of the pairwise-difference signs (its diagonal counts the untied pairs).
    """
    by_column = np.swapaxes(np.asarray(scores, dtype=np.float64), -1, -2)  # (..., columns, models)
    ranks = average_ranks(by_column)
    centred = ranks - ranks.mean(axis=-1, keepdims=True)
    upper = np.triu_indices(by_column.shape[-1], k=1)
    signs = np.sign(by_column[..., :, None] - by_column[..., None, :])[..., upper[0], upper[1]]
    out = []
    for vectors in (centred, signs):
        gram = vectors @ np.swapaxes(vectors, -1, -2)
        scale = np.sqrt(np.diagonal(gram, axis1=-2, axis2=-1))
        with np.errstate(invalid="ignore", divide="ignore"):
            out.append(gram / (scale[..., :, None] * scale[..., None, :]))
    return out[0], out[1]


def spearman_rho(x: npt.ArrayLike, y: npt.ArrayLike) -> FloatArray:
    """Spearman's rho along the last axis (NaN where a side is all ties)."""
    return agreement_matrices(np.stack(np.broadcast_arrays(x, y), axis=-1))[0][..., 0, 1]


def kendall_tau_b(x: npt.ArrayLike, y: npt.ArrayLike) -> FloatArray:
    """Kendall's tau-b along the last axis (NaN where a side is all ties)."""
    return agreement_matrices(np.stack(np.broadcast_arrays(x, y), axis=-1))[1][..., 0, 1]


def _interval(replicates: FloatArray, confidence: float) -> FloatArray:
    """Percentile interval along axis 0 (numpy's linear quantile), leaving NaN replicates out.

    Vectorised over the other axes (``np.nanquantile`` loops over them in Python); NaN where no
    replicate is defined.
    """
    tail = (1.0 - confidence) / 2.0
    ordered = np.sort(replicates, axis=0)  # NaN sorts last
    defined = np.count_nonzero(~np.isnan(replicates), axis=0)
    last = np.maximum(defined - 1, 0)
    bounds = []
    for share in (tail, 1.0 - tail):
        position = last * share
        low = np.floor(position).astype(np.intp)
        high = np.minimum(low + 1, last)
        below = np.take_along_axis(ordered, low[None], axis=0)[0]
        above = np.take_along_axis(ordered, high[None], axis=0)[0]
        bounds.append(np.where(defined > 0, below + (position - low) * (above - below), np.nan))
    return np.stack(bounds, axis=-1)


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
        pairs = self._agreement()
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

    def _agreement(self) -> list[dict[str, Any]]:
        """Rho and tau-b with intervals for every two columns, all replicates and pairs at once."""
        n = len(self.models)
        pairs = list(combinations(range(len(self.columns)), 2))
        found = [{"a": self.columns[a], "b": self.columns[b], "models": n} for a, b in pairs]
        if n < MIN_MODELS_FOR_AGREEMENT or not pairs:
            return [{**f, "rho": None, "rho_ci": None, "tau": None, "tau_ci": None} for f in found]
        first, second = (np.asarray(side) for side in zip(*pairs, strict=True))
        rho, tau = agreement_matrices(self.means)
        boot_rho, boot_tau = agreement_matrices(self.replicate_means)
        rho_ci = _interval(boot_rho[:, first, second], self.confidence)
        tau_ci = _interval(boot_tau[:, first, second], self.confidence)
        return [{**f, "rho": _number(rho[a, b]), "rho_ci": _pair(rho_ci[k]),
                 "tau": _number(tau[a, b]), "tau_ci": _pair(tau_ci[k])}
                for k, (f, (a, b)) in enumerate(zip(found, pairs, strict=True))]


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
