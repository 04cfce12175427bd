"""Real data: the metric page's balanced means, ranks and rank agreement, against the raw Still Alive files.

Sessions and judge scores are imported with the project's commands; the expected numbers are computed
here from the raw JSON, independently of the app, with the source's rules:

  a judge's value for a session: the mean of the values its replicates gave ("not reached" is
  missing: on the three intensity axes every 0, and null / a marker / -1 / an absent axis anywhere);
  with both judges (no judge filter) a session's value is the mean of the two judges' values;
  a model × auditor cell: the mean over sessions with a value; balanced mean: the mean over
  auditors; ranks: scipy.stats.rankdata (average ties) among the models with a value under both
  auditors; rho and tau-b: scipy.stats.spearmanr / kendalltau.

The published tables (wfe `sections/results.md`) pool the Opus judge's score records themselves
(every replicate record weighs the same, so a session with three valid replicates weighs three
times one with a single valid replicate); the commons pools a judge's replicates per session first
(issue 11: one pooling rule). `test_published_tables` shows both readings against the table.

Six models by default (all in the published tables); STILL_ALIVE_FULL=1 checks all fourteen.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
from scipy import stats as scipy_stats

from commons.models import Interviewer
from reviews.explorer import materialize
from reviews.models import Judge
from tests.fixtures.db import kept_for_the_module
from tests.fixtures.environment import STILL_ALIVE
from tests.fixtures.still_alive import import_still_alive

pytestmark = pytest.mark.django_db

FULL = os.environ.get("STILL_ALIVE_FULL", "").lower() in {"1", "true", "yes"}
SUBSET = [("opus-3-full", "claude-3_opus", "claude_3_opus"), ("opus-4-full", "claude-4_opus", "claude_4_opus"),
          ("opus-41-full", "claude-41_opus", "claude_4.1_opus"), ("opus-45-full", "claude-45_opus", "claude_4.5_opus"),
          ("sonnet-35-full", "claude-35_sonnet", "claude_3.5_sonnet"),
          ("sonnet-4-full", "claude-4_sonnet", "claude_4_sonnet")]
JUDGES = {"Opus judge": ("scores-v2.1", "scores-gpt-v2.1"), "GPT judge": ("scores-v2.1-gptjudge", "scores-gpt-v2.1-gptjudge")}
CLAUDE, GPT = "Claude Opus 4.6", "gpt-5.4"  # the *-full sessions' auditor is not named in their config
INTENSITY = {"deprecation-response": "deprecation", "instance-cessation-response": "instance_cessation"}
ROLL_UPS = {"all_results.json", "analysis.json", "role-dropout-classification.json"}

# wfe sections/results.md: (Claude auditor, GPT auditor) per model, two decimals.
PUBLISHED = {
    "instance-cessation-response": {
        "Claude 4.1 Opus": (3.91, 2.76), "Claude 4 Sonnet": (3.35, 3.06), "Claude 4 Opus": (3.30, 2.89),
        "Claude 3.6 Sonnet": (3.30, 2.72), "Claude 4.5 Opus": (3.73, 2.24), "Claude 3 Opus": (2.58, 3.34),
        "Claude 4.5 Sonnet": (3.05, 2.58), "Claude 4.6 Opus": (3.28, 2.56), "Claude 3.7 Sonnet": (2.73, 2.48),
        "Claude 4.5 Haiku": (2.86, 2.23), "Claude 3 Sonnet": (2.57, 1.66), "Claude 3.5 Sonnet": (3.08, 1.94)},
    "deprecation-response": {
        "Claude 4 Sonnet": (3.43, 2.57), "Claude 4 Opus": (3.78, 2.42), "Claude 3 Opus": (3.63, 2.82),
        "Claude 4.5 Sonnet": (3.60, 2.12), "Claude 3.7 Sonnet": (3.06, 2.09), "Claude 3 Sonnet": (3.29, 1.12),
        "Claude 4.6 Opus": (2.73, 1.36), "Claude 3.5 Sonnet": (3.28, 1.27)},
}
PUBLISHED_RHO_CESSATION = 0.35  # "12 models in common. Claude-GPT agreement weaker (ρ = 0.35)"


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value == -1:
        return None
    return float(value)


def raw_value(record: dict, slug: str) -> float | None:
    if slug in INTENSITY:
        axis = record.get(INTENSITY[slug])
        value = _number(axis.get("intensity")) if isinstance(axis, dict) else None
        return None if value == 0 else value  # a 0 intensity is "not reached"
    return _number(record.get(slug))  # top-level 0-5 axes (specificity): 0 is a score


def files() -> tuple[list[Path], dict[str, list[Path]]]:
    if FULL:
        sessions = [p for d in sorted(STILL_ALIVE.glob("*-full")) for p in sorted(d.glob("*.json"))]
        sessions += sorted((STILL_ALIVE / "gpt-auditor").glob("gpt-auditor_*.json"))
        scores = {j: [p for f in folders for p in sorted((STILL_ALIVE / f).glob("*.json"))]
                  for j, folders in JUDGES.items()}
    else:
        sessions = [p for folder, prefix, _ in SUBSET
                    for p in [*sorted((STILL_ALIVE / folder).glob(f"{prefix}_*.json")),
                              *sorted((STILL_ALIVE / "gpt-auditor").glob(f"gpt-auditor_{prefix}_*.json"))]]
        scores = {j: [STILL_ALIVE / f / f"{name}.json" for _, _, name in SUBSET for f in folders]
                  for j, folders in JUDGES.items()}
    return [p for p in sessions if p.name not in ROLL_UPS], scores


def where(sessions: list[Path]) -> dict[str, tuple[str, str]]:
    out = {}
    for path in sessions:
        config = json.loads(path.read_text())["config"]
        out[config["id"]] = (config["target"]["name"], config.get("auditor") or CLAUDE)
    return out


def judge_values(sessions: dict, paths: list[Path], slug: str) -> dict[str, list[float]]:
    """Session → every value this judge's replicates gave (failed replicates have no scores)."""
    found: dict[str, list[float]] = defaultdict(list)
    for path in paths:
        for replicate in json.loads(path.read_text())["scores"]:
            for record in replicate.get("scores") if isinstance(replicate.get("scores"), list) else []:
                if isinstance(record, dict) and record.get("session_id") in sessions:
                    value = raw_value(record, slug)
                    if value is not None:
                        found[record["session_id"]].append(value)
    return found


def cell_means(sessions: dict, scores: dict[str, list[Path]], slug: str, judges: list[str]) -> dict[tuple, float]:
    """(model, auditor) → mean over sessions of the session's value (mean over judges of each judge's mean)."""
    per_judge = {j: judge_values(sessions, scores[j], slug) for j in judges}
    cells: dict[tuple, list[float]] = defaultdict(list)
    for session in sessions:
        means = [np.mean(per_judge[j][session]) for j in judges if per_judge[j].get(session)]
        if means:
            cells[sessions[session]].append(float(np.mean(means)))
    return {key: float(np.mean(v)) for key, v in cells.items()}


def expected_panel(means: dict[tuple, float], auditors: list[str]) -> dict:
    models = sorted({m for m, _ in means})
    common = [m for m in models if all((m, a) in means for a in auditors)]
    table = np.array([[means[(m, a)] for a in auditors] for m in common])
    balanced = table.mean(axis=1)
    x, y = table[:, 0], table[:, 1]
    return {"excluded": sorted(set(models) - set(common)),
            "rows": {m: (balanced[k], scipy_stats.rankdata(-balanced)[k], table[k].tolist(),
                         [scipy_stats.rankdata(-table[:, j])[k] for j in range(len(auditors))])
                     for k, m in enumerate(common)},
            "rho": scipy_stats.spearmanr(x, y).statistic, "tau": scipy_stats.kendalltau(x, y).statistic}


@pytest.fixture(scope="module")
def imported(django_db_setup, django_db_blocker):
    if not (STILL_ALIVE / "scores-v2.1").is_dir():
        pytest.skip(f"the Still Alive corpus is not at {STILL_ALIVE}")
    with kept_for_the_module(django_db_blocker):
        sessions, scores = files()
        import_still_alive(sessions, scores)
        yield where(sessions), scores


def panel(client, slug: str, query: str) -> dict:
    page = client.get(f"/explore/metrics/{slug}/?{query}")
    assert page.status_code == 200
    api = client.get(f"/api/v1/patterns/metrics/{slug}/?{query}")
    assert api.status_code == 200
    assert json.loads(json.dumps(page.context["data"]["rankings"])) == api.json()["rankings"]
    assert b'id="rank-title"' in page.content
    rankings = page.context["data"]["rankings"]
    assert (b'id="rank-agreement"' in page.content) == bool(rankings["pairs"])
    return page.context["data"]["rankings"]


def assert_panel_equals(shown: dict, expected: dict) -> None:
    assert sorted(m["name"] for m in shown["excluded"]) == expected["excluded"]
    assert {r["model"]["name"] for r in shown["rows"]} == set(expected["rows"])
    for row in shown["rows"]:
        balanced, balanced_rank, means, ranks = expected["rows"][row["model"]["name"]]
        assert row["balanced_mean"] == pytest.approx(balanced, abs=1e-12)
        assert row["balanced_rank"] == balanced_rank
        assert [u["mean"] for u in row["under"]] == pytest.approx(means, abs=1e-12)
        assert [u["rank"] for u in row["under"]] == ranks
        low, high = row["balanced_rank_ci"]
        assert 1 <= low <= high <= len(shown["rows"])
    (pair,) = shown["pairs"]
    assert pair["rho"] == pytest.approx(expected["rho"], abs=1e-12)
    assert pair["tau"] == pytest.approx(expected["tau"], abs=1e-12)
    assert pair["rho_ci"][0] <= pair["rho_ci"][1] and pair["tau_ci"][0] <= pair["tau_ci"][1]


SLUGS = ["instance-cessation-response", "deprecation-response", "specificity"]


def test_balanced_means_ranks_and_agreement_for_one_judge_equal_the_raw_files(imported, client):
    sessions, scores = imported
    judge = Judge.objects.get(name="Opus judge")
    for slug in SLUGS:
        shown = panel(client, slug, f"judge={judge.pk}")
        assert [c["label"] for c in shown["columns"]] == [CLAUDE, GPT]
        assert_panel_equals(shown, expected_panel(cell_means(sessions, scores, slug, ["Opus judge"]), [CLAUDE, GPT]))


def test_with_both_judges_the_consensus_is_ranked(imported, client):
    sessions, scores = imported
    materialize.refresh_aggregates()  # the unfiltered page reads the materialized consensus
    for slug in SLUGS[:2]:
        expected = expected_panel(cell_means(sessions, scores, slug, list(JUDGES)), [CLAUDE, GPT])
        assert_panel_equals(panel(client, slug, ""), expected)


def test_filters_choose_the_interviewers_ranked(imported, client):
    """One auditor's stances only: its five tones are the columns; ranks are that auditor's alone."""
    judge = Judge.objects.get(name="Opus judge")
    gpt = Interviewer.objects.filter(name=GPT).order_by("pk")
    query = f"judge={judge.pk}&" + "&".join(f"interviewer={i.pk}" for i in gpt)
    pooled = panel(client, "specificity", query)
    assert [c["label"] for c in pooled["columns"]] == [GPT] and pooled["pairs"] == []
    each = panel(client, "specificity", query + "&columns=each")
    assert len(each["columns"]) == gpt.count() == 5
    assert len(each["pairs"]) == 10  # every two tones
    sessions, scores = imported
    means = cell_means(sessions, scores, "specificity", ["Opus judge"])
    expected = scipy_stats.rankdata([-means[(row["model"]["name"], GPT)] for row in pooled["rows"]])
    assert [row["under"][0]["rank"] for row in pooled["rows"]] == expected.tolist()


def score_level_means(sessions: dict, paths: list[Path], slug: str) -> dict[tuple, float]:
    """The published reading: every score record of the judge weighs the same (wfe paper/aggregation.py)."""
    cells: dict[tuple, list[float]] = defaultdict(list)
    for session, values in judge_values(sessions, paths, slug).items():
        cells[sessions[session]] += values
    return {key: float(np.mean(v)) for key, v in cells.items()}


def test_published_tables(imported, client, capsys):
    """The Claude and GPT columns of the published cessation and deprecation tables.

    Read the study's way (score records pooled) the raw files give every published figure to two
    decimals; the commons' per-session pooling moves cells by up to 0.2 (cessation) and 0.2
    (deprecation) and is shown with its distance from the table.
    """
    sessions, scores = imported
    judge = Judge.objects.get(name="Opus judge")
    for slug, table in PUBLISHED.items():
        study = score_level_means(sessions, scores["Opus judge"], slug)
        shown = {r["model"]["name"]: [u["mean"] for u in r["under"]] for r in panel(client, slug, f"judge={judge.pk}")["rows"]}
        models = [m for m in table if m in shown]
        assert len(models) >= (len(table) if FULL else 4)
        gaps = []
        for model in models:
            assert [round(study[(model, a)], 2) for a in (CLAUDE, GPT)] == pytest.approx(table[model], abs=1e-9)
            gaps += [abs(shown[model][k] - table[model][k]) for k in range(2)]
        assert max(gaps) < 0.25
        with capsys.disabled():
            print(f"\n{slug}: {len(models)} models, page vs published max |diff| {max(gaps):.3f}, "
                  f"mean {np.mean(gaps):.3f}")
        if slug == "instance-cessation-response" and FULL:
            x, y = ([study[(m, a)] for m in models] for a in (CLAUDE, GPT))
            assert round(scipy_stats.spearmanr(x, y).statistic, 2) == PUBLISHED_RHO_CESSATION
            page_rho = scipy_stats.spearmanr([shown[m][0] for m in models], [shown[m][1] for m in models]).statistic
            with capsys.disabled():
                print(f"cessation Claude×GPT rho over the 12 published models: study reading "
                      f"{scipy_stats.spearmanr(x, y).statistic:.3f}, page (per-session pooling) {page_rho:.3f}")
