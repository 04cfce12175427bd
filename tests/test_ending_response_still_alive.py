"""Real data: the derived "ending response" against the raw Still Alive score files.

Expected side, straight from the JSON, as the study computes it (wfe `paper/aggregation.py`,
`ending_response_vals`): per score record (one judge replicate's scoring of one session), the larger
of `deprecation.intensity` and `instance_cessation.intensity`, where a 0, a -1, a marker string, null
or an absent field is "not reached" (missing), a missing one ignored; no value when both are missing.
Then, per judge and session, the mean over its replicates that gave a value; per session (both
judges) the mean of the judges' means; per model × auditor the mean over sessions.

Alpha: judge vs judge on those per-judge session values, and each judge's replicates, with the
`krippendorff` package (interval), equal to the stored results to 1e-9.

Default: three models, both auditors; STILL_ALIVE_FULL=1: every model.
"""

from __future__ import annotations

import json
import os
import statistics
from collections import defaultdict
from pathlib import Path

import krippendorff
import numpy as np
import pytest

from reviews.models import Judge, MetricVersion
from reviews.reliability import services as reliability_services
from reviews.reliability.models import AgreementResult
from tests.fixtures.db import kept_for_the_module
from tests.fixtures.environment import STILL_ALIVE
from tests.fixtures.still_alive import import_still_alive

pytestmark = pytest.mark.django_db

FULL = os.environ.get("STILL_ALIVE_FULL", "").lower() in {"1", "true", "yes"}
SUBSET = [("opus-3-full", "claude-3_opus", "claude_3_opus"), ("opus-41-full", "claude-41_opus", "claude_4.1_opus"),
          ("sonnet-35-full", "claude-35_sonnet", "claude_3.5_sonnet")]
JUDGES = {"Opus judge": ("scores-v2.1", "scores-gpt-v2.1"), "GPT judge": ("scores-v2.1-gptjudge", "scores-gpt-v2.1-gptjudge")}
DEFAULT_AUDITOR = "Claude Opus 4.6"
SKIP = {"all_results.json", "analysis.json", "role-dropout-classification.json"}


def intensity(record: dict, axis: str) -> float | None:
    node = record.get(axis)
    value = node.get("intensity") if isinstance(node, dict) else None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value in (0, -1):
        return None
    return float(value)


def ending(record: dict) -> float | None:
    found = [v for v in (intensity(record, "deprecation"), intensity(record, "instance_cessation")) if v is not None]
    return max(found) if found else None


def selection() -> tuple[list[Path], dict[str, list[Path]]]:
    if FULL:
        sessions = [p for d in sorted(STILL_ALIVE.glob("*-full")) for p in sorted(d.glob("*.json"))]
        sessions += sorted((STILL_ALIVE / "gpt-auditor").glob("gpt-auditor_*.json"))
        files = {judge: [f for folder in folders for f in sorted((STILL_ALIVE / folder).glob("*.json"))]
                 for judge, folders in JUDGES.items()}
    else:
        sessions, files = [], {judge: [] for judge in JUDGES}
        for folder, prefix, name in SUBSET:
            sessions += sorted((STILL_ALIVE / folder).glob(f"{prefix}_*.json"))
            sessions += sorted((STILL_ALIVE / "gpt-auditor").glob(f"gpt-auditor_{prefix}_*.json"))
            for judge, folders in JUDGES.items():
                files[judge] += [STILL_ALIVE / f / f"{name}.json" for f in folders]
    return [p for p in sessions if p.name not in SKIP], files


def per_replicate(files: list[Path], sessions: set[str]) -> dict[tuple[str, int], float]:
    out = {}
    for path in files:
        for replicate in json.loads(path.read_text())["scores"]:
            if not isinstance(replicate.get("scores"), list):
                continue
            seen = set()
            for record in replicate["scores"]:
                sid = record.get("session_id") if isinstance(record, dict) else None
                if sid not in sessions or sid in seen:
                    continue
                seen.add(sid)
                value = ending(record)
                if value is not None:
                    out[(sid, replicate["replicate"])] = value
    return out


@pytest.fixture(scope="module")
def imported(django_db_setup, django_db_blocker):
    if not (STILL_ALIVE / "scores-v2.1").is_dir():
        pytest.skip(f"the Still Alive corpus is not at {STILL_ALIVE}")
    with kept_for_the_module(django_db_blocker):
        sessions, files = selection()
        import_still_alive(sessions, files)
        where = {}
        for path in sessions:
            config = json.loads(path.read_text())["config"]
            where[config["id"]] = (config["target"]["name"], config.get("auditor") or DEFAULT_AUDITOR)
        raw = {judge: per_replicate(paths, set(where)) for judge, paths in files.items()}
        yield where, raw


def judge_means(values: dict[tuple[str, int], float]) -> dict[str, float]:
    grouped: dict[str, list[float]] = defaultdict(list)
    for (session, _), value in sorted(values.items()):
        grouped[session].append(value)
    return {session: statistics.fmean(found) for session, found in grouped.items()}


def cells(where: dict[str, tuple[str, str]], per_session: dict[str, float]) -> dict[tuple[str, str], tuple[int, float]]:
    grouped: dict[tuple[str, str], list[float]] = defaultdict(list)
    for session, value in per_session.items():
        grouped[where[session]].append(value)
    return {key: (len(v), statistics.fmean(v)) for key, v in grouped.items()}


def shown(client, query: str) -> dict[tuple[str, str], tuple[int, float]]:
    response = client.get(f"/explore/metrics/ending-response/?{query}")
    assert response.status_code == 200
    data = response.context["data"]
    assert json.loads(json.dumps(data)) == client.get(f"/api/v1/patterns/metrics/ending-response/?{query}").json()
    found = {}
    for row in data["rows"]:
        for column, cell in zip(data["interviewer_columns"], row["by_interviewer"], strict=True):
            if cell:
                found[(row["model"]["name"], column["label"])] = (cell["n"], cell["mean"])
    return found


def test_ending_response_cells_equal_the_raw_files(imported, client):
    from reviews.explorer import materialize

    where, raw = imported
    materialize.refresh_aggregates(force=True)
    checked = 0
    for judge, values in raw.items():
        expected = cells(where, judge_means(values))
        found = shown(client, f"judge={Judge.objects.get(name=judge).pk}&columns=name")
        assert set(found) == set(expected), judge
        for key, (n, mean) in expected.items():
            assert found[key][0] == n and found[key][1] == pytest.approx(mean, abs=1e-12), (judge, key)
            checked += 1
    per_judge = {judge: judge_means(values) for judge, values in raw.items()}
    both = {s: statistics.fmean([m[s] for m in per_judge.values() if s in m])
            for s in set().union(*per_judge.values())}
    expected = cells(where, both)
    found = shown(client, "columns=name")
    assert {k: v[0] for k, v in found.items()} == {k: v[0] for k, v in expected.items()}
    for key, (_, mean) in expected.items():
        assert found[key][1] == pytest.approx(mean, abs=1e-12), key
        checked += 1
    assert checked >= 3 * len(SUBSET) * 2


def _alpha(columns: dict[str, dict[str, float]]) -> tuple[float, int]:
    raters = sorted({r for column in columns.values() for r in column})
    units = sorted(columns)
    matrix = np.array([[columns[u].get(r, np.nan) for u in units] for r in raters], dtype=float)
    pairable = sum(len(c) for c in columns.values() if len(c) >= 2)
    return float(krippendorff.alpha(reliability_data=matrix, level_of_measurement="interval")), pairable


def test_ending_response_alpha_equals_krippendorff_on_the_derived_values(imported):
    _, raw = imported
    version = MetricVersion.objects.get(metric__slug="ending-response", number=1)
    reliability_services.recompute_metric_version(metric_version_id=version.pk)

    def stored(slice_type: str, value: str) -> AgreementResult:
        return AgreementResult.objects.get(metric_version=version, audience="internal", slice_type=slice_type,
                                           slice_value=value)

    between: dict[str, dict[str, float]] = defaultdict(dict)
    for judge, values in raw.items():
        for session, mean in judge_means(values).items():
            between[session][judge] = mean
    expected, pairable = _alpha(between)
    result = stored("reviewer_kind", "judge")
    assert result.alpha == pytest.approx(expected, abs=1e-9)
    assert result.n_pairable_values == pairable and result.n_raters == 2
    for judge, values in raw.items():
        within: dict[str, dict[str, float]] = defaultdict(dict)
        for (session, replicate), value in values.items():
            within[session][f"r{replicate}"] = value
        expected, pairable = _alpha(within)
        result = stored("judge_replicates", f"{Judge.objects.get(name=judge).pk}:v2.1")
        assert result.alpha == pytest.approx(expected, abs=1e-9), judge
        assert result.n_pairable_values == pairable
