"""Balanced means, ranks and rank agreement (pure numpy): against scipy, and small cases with known answers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as scipy_stats

from reviews.explorer.rankings import (MIN_MODELS_FOR_AGREEMENT, average_ranks, kendall_tau_b, rank_table,
                                       spearman_rho)

pytestmark = pytest.mark.no_django

scores = st.lists(st.integers(min_value=0, max_value=6), min_size=3, max_size=16)


@settings(max_examples=300, deadline=None)
@given(scores, st.data())
def test_rho_tau_and_ranks_equal_scipy_to_1e_12(x, data):
    y = data.draw(st.lists(st.integers(min_value=0, max_value=6), min_size=len(x), max_size=len(x)))
    a, b = np.asarray(x, float) / 2, np.asarray(y, float) / 2  # half points, many ties
    assert average_ranks(a).tolist() == scipy_stats.rankdata(-a, method="average").tolist()
    rho, tau = float(spearman_rho(a, b)), float(kendall_tau_b(a, b))
    if np.ptp(a) == 0 or np.ptp(b) == 0:  # a ranking that is all ties: undefined, as scipy says
        assert np.isnan(rho) and np.isnan(tau)
        return
    assert rho == pytest.approx(scipy_stats.spearmanr(a, b).statistic, abs=1e-12)
    assert tau == pytest.approx(scipy_stats.kendalltau(a, b, variant="b").statistic, abs=1e-12)


def test_vectorised_over_replicates_equals_one_at_a_time():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(200, 9)), rng.integers(0, 4, size=(200, 9)).astype(float)
    rho, tau = spearman_rho(x, y), kendall_tau_b(x, y)
    for k in range(200):
        assert rho[k] == pytest.approx(scipy_stats.spearmanr(x[k], y[k]).statistic, abs=1e-12)
        assert tau[k] == pytest.approx(scipy_stats.kendalltau(x[k], y[k]).statistic, abs=1e-12)


def _cells(means: dict[tuple[str, str], list[float]]) -> dict:
    """Each cell from its interviews' values: (distinct values, counts)."""
    out = {}
    for key, values in means.items():
        distinct, counts = np.unique(values, return_counts=True)
        out[key] = (distinct.tolist(), counts.tolist())
    return out


def test_balanced_mean_weighs_each_interviewer_the_same():
    # Model A: 1 interview at 4 under X, 9 interviews at 0 under Y. Pooled mean 0.4; balanced (4 + 0) / 2 = 2.
    cells = _cells({("A", "X"): [4.0], ("A", "Y"): [0.0] * 9, ("B", "X"): [1.0, 1.0], ("B", "Y"): [1.0, 1.0]})
    table = rank_table(cells, ["A", "B"], ["X", "Y"], seed=1, replicates=50).as_dict()
    rows = {r["model"]: r for r in table["rows"]}
    assert rows["A"]["balanced_mean"] == 2.0 and rows["B"]["balanced_mean"] == 1.0
    assert rows["A"]["means"] == [4.0, 0.0]
    assert (rows["A"]["balanced_rank"], rows["B"]["balanced_rank"]) == (1.0, 2.0)
    assert rows["A"]["ranks"] == [1.0, 2.0] and rows["B"]["ranks"] == [2.0, 1.0]


def test_ties_share_the_average_rank():
    cells = _cells({("A", "X"): [3.0], ("B", "X"): [3.0], ("C", "X"): [1.0], ("D", "X"): [3.0],
                    ("A", "Y"): [2.0], ("B", "Y"): [2.0], ("C", "Y"): [5.0], ("D", "Y"): [0.0]})
    rows = {r["model"]: r for r in rank_table(cells, list("ABCD"), ["X", "Y"], seed=1, replicates=20).as_dict()["rows"]}
    assert [rows[m]["ranks"][0] for m in "ABCD"] == [2.0, 2.0, 4.0, 2.0]  # three tied for 1st–3rd
    assert [rows[m]["ranks"][1] for m in "ABCD"] == [2.5, 2.5, 1.0, 4.0]
    # Single-interview cells never vary: every interval is the point itself.
    assert all(rows[m]["rank_ci"][0] == [rows[m]["ranks"][0]] * 2 for m in "ABCD")


def test_a_model_missing_under_one_interviewer_is_left_out_of_every_rank():
    cells = _cells({("A", "X"): [5.0], ("A", "Y"): [5.0], ("B", "X"): [4.0], ("B", "Y"): [1.0],
                    ("C", "X"): [1.0], ("C", "Y"): [4.0], ("D", "X"): [9.0]})  # D: no interview under Y
    table = rank_table(cells, list("ABCD"), ["X", "Y"], seed=1, replicates=20).as_dict()
    assert table["models"] == ["A", "B", "C"] and table["excluded"] == ["D"]
    rows = {r["model"]: r for r in table["rows"]}
    assert rows["A"]["ranks"] == [1.0, 1.0]  # D's 9 under X does not push A down
    (pair,) = table["pairs"]
    assert pair["models"] == 3
    assert pair["rho"] == pytest.approx(scipy_stats.spearmanr([5, 4, 1], [5, 1, 4]).statistic, abs=1e-12)
    assert pair["tau"] == pytest.approx(scipy_stats.kendalltau([5, 4, 1], [5, 1, 4]).statistic, abs=1e-12)


def test_rank_intervals_are_narrow_when_models_are_far_apart_and_wide_when_they_are_alike():
    rng = np.random.default_rng(7)
    near = {("A", c): rng.normal(2.0, 1.0, 30).round(1).tolist() for c in "XY"}
    near.update({("B", c): rng.normal(2.0, 1.0, 30).round(1).tolist() for c in "XY"})
    far = {("C", c): [9.0, 9.5] * 10 for c in "XY"}
    table = rank_table(_cells({**near, **far}), list("ABC"), ["X", "Y"], seed=11, replicates=400).as_dict()
    rows = {r["model"]: r for r in table["rows"]}
    assert rows["C"]["balanced_rank"] == 1.0 and rows["C"]["balanced_rank_ci"] == [1.0, 1.0]
    assert rows["C"]["rank_ci"] == [[1.0, 1.0], [1.0, 1.0]]
    for model in "AB":  # alike: either could be 2nd or 3rd
        assert rows[model]["balanced_rank_ci"] == [2.0, 3.0]
    low, high = rows["A"]["balanced_ci"]
    assert low < rows["A"]["balanced_mean"] < high


def test_rho_interval_from_resampled_interviews_covers_an_independent_bootstrap():
    """The interval equals, within Monte Carlo error, a plain loop bootstrap written here with scipy."""
    rng = np.random.default_rng(5)
    models, columns = list("ABCDEF"), ["X", "Y", "Z"]
    raw = {(m, c): (rng.normal(k * 0.3, 1.0, 12).round(1)).tolist()
           for k, m in enumerate(models) for c in columns}
    table = rank_table(_cells(raw), models, columns, seed=2, replicates=2000).as_dict()
    other = np.random.default_rng(99)
    rhos, taus, ranks = [], [], []
    for _ in range(2000):
        means = {key: float(np.mean(other.choice(values, size=len(values)))) for key, values in raw.items()}
        x, y = [means[(m, "X")] for m in models], [means[(m, "Y")] for m in models]
        rhos.append(scipy_stats.spearmanr(x, y).statistic)
        taus.append(scipy_stats.kendalltau(x, y).statistic)
        ranks.append(scipy_stats.rankdata([-np.mean([means[(m, c)] for c in columns]) for m in models])[0])
    xy = next(p for p in table["pairs"] if (p["a"], p["b"]) == ("X", "Y"))
    assert xy["rho_ci"] == pytest.approx(np.quantile(rhos, [0.025, 0.975]).tolist(), abs=0.06)
    assert xy["tau_ci"] == pytest.approx(np.quantile(taus, [0.025, 0.975]).tolist(), abs=0.06)
    a_row = next(r for r in table["rows"] if r["model"] == "A")
    assert a_row["balanced_rank_ci"] == pytest.approx(np.quantile(ranks, [0.025, 0.975]).tolist(), abs=1.0)
    assert [p["a"] + p["b"] for p in table["pairs"]] == ["XY", "XZ", "YZ"]


def test_agreement_needs_three_models_and_a_ranking_that_is_not_all_ties():
    two = _cells({(m, c): [float(k)] for k, m in enumerate("AB") for c in "XY"})
    (pair,) = rank_table(two, list("AB"), ["X", "Y"], seed=1, replicates=10).as_dict()["pairs"]
    assert pair["models"] == 2 < MIN_MODELS_FOR_AGREEMENT and pair["rho"] is None and pair["tau"] is None
    flat = _cells({**{(m, "X"): [1.0] for m in "ABC"}, **{(m, "Y"): [float(k)] for k, m in enumerate("ABC")}})
    (pair,) = rank_table(flat, list("ABC"), ["X", "Y"], seed=1, replicates=10).as_dict()["pairs"]
    assert pair["rho"] is None and pair["tau"] is None and pair["rho_ci"] is None


def test_same_cells_and_seed_give_the_same_intervals():
    raw = _cells({(m, c): [1.0, 2.0, 3.0 + k] for k, m in enumerate("ABC") for c in "XY"})
    first = rank_table(raw, list("ABC"), ["X", "Y"], seed=4, replicates=100).as_dict()
    assert first == rank_table(raw, list("ABC"), ["X", "Y"], seed=4, replicates=100).as_dict()
    assert first != rank_table(raw, list("ABC"), ["X", "Y"], seed=5, replicates=100).as_dict()
