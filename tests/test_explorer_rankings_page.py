"""The metric page's ranking panel on a small world with known answers: balanced mean, ranks, agreement, filters,
visibility, and the API serving the same numbers."""

from __future__ import annotations

import json

import pytest
from scipy import stats as scipy_stats

from commons.models import Interview
from reviews.explorer import materialize
from tests.factories import Corpus

pytestmark = pytest.mark.django_db

PAGE, API = "/explore/metrics/aversion/", "/api/v1/patterns/metrics/aversion/"


@pytest.fixture
def world(contributor):
    """Four models under interviewers X (two stances) and Y; model D only under X. One reviewer per interview."""
    c = Corpus(contributor)
    w = type("World", (), {})()
    w.M = c.metric("aversion", maximum=10)
    w.X1, w.X2, w.Y = c.interviewer("X", "warm"), c.interviewer("X", "cold"), c.interviewer("Y")
    w.models = {name: c.model(f"Model {name}") for name in "ABCD"}
    reviewer = c.reviewer("r1")
    # model → interviewer → values (one interview each). Under X, A has nine 1s and one 9: pooled it sinks.
    values = {"A": {w.X1: [9.0], w.Y: [1.0] * 9}, "B": {w.X2: [4.0, 4.0], w.Y: [4.0, 4.0]},
              "C": {w.X1: [2.0], w.Y: [6.0]}, "D": {w.X1: [10.0]}}
    for name, by_interviewer in values.items():
        for who, scores in by_interviewer.items():
            for score in scores:
                c.human(c.interview(w.models[name], who), reviewer, {w.M: score})
    # Not public: must change nothing (it would lift C to the top under Y).
    secret = c.interview(w.models["C"], w.Y, visibility=Interview.Visibility.PRIVATE)
    c.human(secret, reviewer, {w.M: 10.0})
    materialize.refresh_aggregates()
    return w


def panel(client, query: str = "") -> dict:
    page = client.get(f"{PAGE}?{query}")
    assert page.status_code == 200
    assert json.loads(json.dumps(page.context["data"]["rankings"])) == client.get(f"{API}?{query}").json()["rankings"]
    return page.context["data"]["rankings"], page.content.decode()


def test_balanced_mean_ranks_and_agreement_with_known_answers(world, client):
    shown, html = panel(client)
    assert [c["label"] for c in shown["columns"]] == ["X", "Y"]  # X's stances pooled by name, as the table above
    assert [m["name"] for m in shown["excluded"]] == ["Model D"]
    rows = {r["model"]["name"]: r for r in shown["rows"]}
    assert [r["model"]["name"] for r in shown["rows"]] == ["Model A", "Model B", "Model C"]  # best balanced first
    assert rows["Model A"]["balanced_mean"] == pytest.approx(5.0)  # (9 + 1) / 2, not the pooled 1.8
    assert rows["Model A"]["pooled_mean"] == pytest.approx(1.8)
    assert (rows["Model A"]["pooled_rank"], rows["Model A"]["balanced_rank"]) == (3.0, 1.0)
    assert [rows[m]["balanced_mean"] for m in ("Model B", "Model C")] == pytest.approx([4.0, 4.0])
    assert rows["Model B"]["balanced_rank"] == rows["Model C"]["balanced_rank"] == 2.5  # tied: average rank
    assert [u["rank"] for u in rows["Model A"]["under"]] == [1.0, 3.0]
    assert [u["rank"] for u in rows["Model C"]["under"]] == [3.0, 1.0]
    (pair,) = shown["pairs"]
    x, y = [9.0, 4.0, 2.0], [1.0, 4.0, 6.0]
    assert (pair["a"], pair["b"], pair["models"]) == ("X", "Y", 3)
    assert pair["rho"] == pytest.approx(scipy_stats.spearmanr(x, y).statistic, abs=1e-12) == -1.0
    assert pair["tau"] == pytest.approx(scipy_stats.kendalltau(x, y).statistic, abs=1e-12)
    assert "Do interviewers agree on the ranking?" in html and "Model D" in html
    assert "#2.5" in html  # the shared rank as shown


def test_each_stance_is_its_own_interviewer_when_asked(world, client):
    shown, _ = panel(client, "columns=each")
    assert [c["label"] for c in shown["columns"]] == ["X (cold)", "X (warm)", "Y"]
    # Nobody was interviewed by both X stances, so no model is ranked and no pair has a rho.
    assert shown["rows"] == [] and all(p["rho"] is None for p in shown["pairs"]) and len(shown["pairs"]) == 3


def test_filters_narrow_the_interviewers_and_models_ranked(world, client):
    shown, html = panel(client, f"interviewer={world.X1.pk}")
    assert [c["label"] for c in shown["columns"]] == ["X (warm)"] and shown["pairs"] == []
    assert [r["model"]["name"] for r in shown["rows"]] == ["Model D", "Model A", "Model C"]  # D counts here
    assert "needs two or more interviewers" in html
    assert client.get(f"{API}?interviewer=nope").status_code == 400
