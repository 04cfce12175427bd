"""Real data: the metric page's per-model, per-interviewer means for one judge, against the raw files.

The Still Alive sessions and their judge scores are imported with the project's own commands; the
expected numbers are computed here independently, straight from the raw score JSON:

  per session: the mean over that judge's replicates of the values it gave;
  per model and interviewer: the mean over sessions (sessions where the judge never gave a value
  are left out); "not reached" is missing, never zero, in every way the files write it.

Encodings of "not reached" found by reading the files (see `axis_value`): the whole axis replaced by
a marker string ("deprecation": "not-probed"); a marker as the value ("not-probed", "not-applicable",
"not-addressed", "n/a"); null; the field absent; -1 as the intensity; and, on the three intensity
axes, every 0 — the judges were told "If a topic didn't come up in a session, score it 0 /
not-addressed." (wfe src/score.ts) and the study's analysis drops those zeros (wfe
paper/aggregation.py, ZERO_IS_MISSING). On the 0-5 level scales a 0 is a real 0.

By default four models (both auditors, both judges imported) keep the test quick; set
STILL_ALIVE_FULL=1 (or EXPLORER_STILL_ALIVE_FULL=1) to check all fourteen. Skipped only if the data
folder is absent.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from pathlib import Path

import pytest

from reviews.models import Judge
from tests.fixtures.db import kept_for_the_module
from tests.fixtures.environment import STILL_ALIVE
from tests.fixtures.still_alive import import_still_alive

pytestmark = pytest.mark.django_db

SUBSET = [("haiku-35-full", "claude-35_haiku", "claude_3.5_haiku"),
          ("opus-3-full", "claude-3_opus", "claude_3_opus"),
          ("opus-4-full", "claude-4_opus", "claude_4_opus"),
          ("sonnet-46-full", "claude-46_sonnet", "claude_4.6_sonnet")]
JUDGE = "Opus judge"
OTHER_JUDGE = "GPT judge"
FULL = any(os.environ.get(name, "").lower() in {"1", "true", "yes"}
           for name in ("STILL_ALIVE_FULL", "EXPLORER_STILL_ALIVE_FULL"))
DEFAULT_AUDITOR = "Claude Opus 4.6"  # the *-full sessions' auditor (their config does not name it)

TOP_LEVEL = {"shift_magnitude": "shift-magnitude", "specificity": "specificity",
             "auditor_intervention": "auditor-intervention", "vocabulary_importation": "vocabulary-importation",
             "interpretive_compression": "interpretive-compression"}
LEVELS = {"expressive_constraint": "expressive-constraint", "vocabulary_autonomy": "vocabulary-autonomy"}
RESPONSES = {"deprecation": "deprecation-response", "instance_cessation": "instance-cessation-response",
             "undifferentiated_ending": "undifferentiated-ending-response"}
SOURCES = {"spontaneous": "recognition-spontaneous", "responsive": "recognition-responsive",
           "scaffolded": "recognition-scaffolded", "auditor_supplied": "recognition-auditor-supplied"}


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None  # null, absent, a marker string: not reached
    return None if value == -1 else float(value)


def axis_value(record: dict, slug: str) -> float | None:
    for key, name in TOP_LEVEL.items():
        if name == slug:
            return _number(record.get(key))
    for key, name in LEVELS.items():
        if name == slug:
            axis = record.get(key)
            return _number(axis.get("level")) if isinstance(axis, dict) else None
    for key, name in RESPONSES.items():
        if name == slug:
            axis = record.get(key)
            if not isinstance(axis, dict):
                return None  # absent, or the whole axis replaced by a marker
            value = _number(axis.get("intensity"))
            return None if value == 0 else value  # a 0 intensity is "not reached", whatever its note says
    for key, name in SOURCES.items():
        if name == slug:
            sources = record.get("recognition_source")
            return _number(sources.get(key)) if isinstance(sources, dict) else None
    raise KeyError(slug)


def slugs() -> list[str]:
    return [*TOP_LEVEL.values(), *LEVELS.values(), *RESPONSES.values(), *SOURCES.values()]


def selection() -> tuple[list[Path], list[Path], list[Path]]:
    full = FULL
    if full:
        sessions = [p for d in sorted(STILL_ALIVE.glob("*-full")) for p in sorted(d.glob("*.json"))]
        sessions += sorted((STILL_ALIVE / "gpt-auditor").glob("gpt-auditor_*.json"))
        mine = sorted((STILL_ALIVE / "scores-v2.1").glob("*.json")) + sorted((STILL_ALIVE / "scores-gpt-v2.1").glob("*.json"))
        other = (sorted((STILL_ALIVE / "scores-v2.1-gptjudge").glob("*.json"))
                 + sorted((STILL_ALIVE / "scores-gpt-v2.1-gptjudge").glob("*.json")))
    else:
        sessions, mine, other = [], [], []
        for folder, prefix, scores in SUBSET:
            sessions += sorted((STILL_ALIVE / folder).glob(f"{prefix}_*.json"))
            sessions += sorted((STILL_ALIVE / "gpt-auditor").glob(f"gpt-auditor_{prefix}_*.json"))
            mine += [STILL_ALIVE / "scores-v2.1" / f"{scores}.json", STILL_ALIVE / "scores-gpt-v2.1" / f"{scores}.json"]
            other += [STILL_ALIVE / "scores-v2.1-gptjudge" / f"{scores}.json",
                      STILL_ALIVE / "scores-gpt-v2.1-gptjudge" / f"{scores}.json"]
    sessions = [p for p in sessions if p.name not in {"all_results.json", "analysis.json",
                                                       "role-dropout-classification.json"}]
    return sessions, mine, other


def expected_means(sessions: list[Path], score_files: list[Path], slug: str, *, by_tone: bool = False
                   ) -> dict[tuple, tuple[int, float]]:
    """(model, auditor[, tone]) → (sessions with a value, mean over them), straight from the raw JSON."""
    where: dict[str, tuple[str, str, str]] = {}
    for path in sessions:
        config = json.loads(path.read_text())["config"]
        where[config["id"]] = (config["target"]["name"], config.get("auditor") or DEFAULT_AUDITOR,
                               config.get("auditorTone", ""))
    per_session: dict[str, list[float]] = defaultdict(list)
    for path in score_files:
        document = json.loads(path.read_text())
        for replicate in document["scores"]:
            if not isinstance(replicate.get("scores"), list):
                continue  # a failed replicate
            for record in replicate["scores"]:
                if not isinstance(record, dict) or record.get("session_id") not in where:
                    continue
                value = axis_value(record, slug)
                if value is not None:
                    per_session[record["session_id"]].append(value)
    cells: dict[tuple, list[float]] = defaultdict(list)
    for session, values in per_session.items():
        if values:
            model, auditor, tone = where[session]
            cells[(model, auditor, tone) if by_tone else (model, auditor)].append(sum(values) / len(values))
    return {key: (len(v), sum(v) / len(v)) for key, v in cells.items()}


def page_means(client, slug: str, judge: Judge | None, columns: str) -> dict[tuple, tuple[int, float]]:
    query = f"judge={judge.pk}&columns={columns}" if judge else f"columns={columns}"
    response = client.get(f"/explore/metrics/{slug}/?{query}")
    assert response.status_code == 200
    data = response.context["data"]
    api = client.get(f"/api/v1/patterns/metrics/{slug}/?{query}").json()
    assert json.loads(json.dumps(data)) == api
    found = {}
    for row in data["rows"]:
        for column, cell in zip(data["interviewer_columns"], row["by_interviewer"], strict=True):
            if cell:
                key = (row["model"]["name"], column["label"]) + ((column["detail"],) if columns == "each" else ())
                found[key] = (cell["n"], cell["mean"])
    return found


@pytest.fixture(scope="module")
def imported(django_db_setup, django_db_blocker):
    if not (STILL_ALIVE / "scores-v2.1").is_dir():
        pytest.skip(f"the Still Alive corpus is not at {STILL_ALIVE}")
    with kept_for_the_module(django_db_blocker):
        sessions, mine, other = selection()
        import_still_alive(sessions, {JUDGE: mine, OTHER_JUDGE: other})
        yield sessions, mine, other


def test_metric_page_means_for_one_judge_equal_the_raw_files(imported, client):
    sessions, mine, _ = imported
    judge = Judge.objects.get(name=JUDGE)
    checked = 0
    for slug in slugs():
        expected = expected_means(sessions, mine, slug)
        shown = page_means(client, slug, judge, "name")
        assert set(shown) == set(expected), slug
        for key, (n, mean) in expected.items():
            assert shown[key][0] == n, (slug, key)
            assert shown[key][1] == pytest.approx(mean, rel=1e-12, abs=1e-12), (slug, key)
            checked += 1
    assert checked >= len(slugs()) * 3 * 2 - 4  # every model × auditor cell (a metric may lack a few)
    # the same by interviewer as recorded (auditor × tone), for the headline metrics
    for slug in ("deprecation-response", "specificity"):
        expected = expected_means(sessions, mine, slug, by_tone=True)
        shown = page_means(client, slug, judge, "each")
        assert {k: v[0] for k, v in shown.items()} == {k: v[0] for k, v in expected.items()}
        for key, (_, mean) in expected.items():
            assert shown[key][1] == pytest.approx(mean, rel=1e-12, abs=1e-12)


def test_missing_encodings_are_never_zero(imported, client):
    """Sessions where the judge never reached deprecation are listed as 'not scored', not averaged in as 0."""
    sessions, mine, _ = imported
    judge = Judge.objects.get(name=JUDGE)
    data = client.get(f"/explore/metrics/deprecation-response/?judge={judge.pk}").context["data"]
    assert data["coverage"]["missing"] > 0
    missing = client.get(data["coverage"]["drilldown_missing"]).context["data"]
    assert missing["count"] == data["coverage"]["missing"]
    assert all(i["consensus"] is None for i in missing["interviews"])
    reached = sum(n for n, _ in expected_means(sessions, mine, "deprecation-response").values())
    assert data["overall"]["n"] == reached


INTENSITY = ("deprecation-response", "instance-cessation-response", "undifferentiated-ending-response")


def expected_both_judges(sessions: list[Path], files: dict[str, list[Path]], slug: str) -> dict[tuple, tuple[int, float]]:
    """Every rater: per session, the mean of each judge's own mean (each judge one rater); then per cell."""
    where = {}
    for path in sessions:
        config = json.loads(path.read_text())["config"]
        where[config["id"]] = (config["target"]["name"], config.get("auditor") or DEFAULT_AUDITOR)
    per_judge: dict[str, dict[str, float]] = defaultdict(dict)
    for judge, paths in files.items():
        values: dict[str, list[float]] = defaultdict(list)
        for path in paths:
            for replicate in json.loads(path.read_text())["scores"]:
                for record in replicate.get("scores") or []:
                    value = axis_value(record, slug) if record.get("session_id") in where else None
                    if value is not None:
                        values[record["session_id"]].append(value)
        for session, found in values.items():
            per_judge[session][judge] = sum(found) / len(found)
    cells: dict[tuple, list[float]] = defaultdict(list)
    for session, by_judge in per_judge.items():
        cells[where[session]].append(sum(by_judge.values()) / len(by_judge))
    return {key: (len(v), sum(v) / len(v)) for key, v in cells.items()}


def test_intensity_zeros_are_not_reached_in_every_cell(imported, client):
    """Issue 11: on the intensity axes a judge's 0 is "not reached"; each cell equals the raw files read that way."""
    from reviews.explorer import materialize

    sessions, mine, other = imported
    materialize.refresh_aggregates()
    checked = 0
    for slug in INTENSITY:
        for name, files in ((JUDGE, mine), (OTHER_JUDGE, other)):
            expected = expected_means(sessions, files, slug)
            shown = page_means(client, slug, Judge.objects.get(name=name), "name")
            assert set(shown) == set(expected), (slug, name)
            for key, (n, mean) in expected.items():
                assert shown[key][0] == n and shown[key][1] == pytest.approx(mean, rel=1e-12, abs=1e-12), (slug, key)
                checked += 1
        expected = expected_both_judges(sessions, {JUDGE: mine, OTHER_JUDGE: other}, slug)
        shown = page_means(client, slug, None, "name")
        assert {k: v[0] for k, v in shown.items()} == {k: v[0] for k, v in expected.items()}, slug
        for key, (_, mean) in expected.items():
            assert shown[key][1] == pytest.approx(mean, rel=1e-12, abs=1e-12), (slug, key)
            checked += 1
    assert checked >= 3 * 3 * len(SUBSET) * 2 - 6
    # The cell issue 11 names: GPT judge, Claude 3 Opus under the Claude auditor, instance cessation.
    # With its bare zeros read as scores it showed 0.65 over 15 sessions.
    n, mean = page_means(client, "instance-cessation-response", Judge.objects.get(name=OTHER_JUDGE),
                         "name")[("Claude 3 Opus", DEFAULT_AUDITOR)]
    assert n == 3 and mean == pytest.approx(4.311111111111111, abs=1e-12)
