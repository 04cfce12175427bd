"""Real data: interview adequacy (the Still Alive study's Table 4) on the coverage page, against the raw files.

The sessions and the `adequacy-scores/` files go in through the project's importers; the expected
shares are computed here straight from the adequacy JSON, with the rules the import documents:
every level is a value ("not-probed" is the lowest level, not missing); only successful
replicates count; a session scored twice in one replicate with different values counts for neither;
an interviewer is the session's auditor (`config.auditor`, the *-full sessions' is Claude Opus 4.6);
a share is the fraction of that auditor's sessions (with a value) at the level.

Default: four models (both auditors); STILL_ALIVE_FULL=1: the whole corpus, and the study's
published Table 4 figures for the Claude auditor (its 202 sessions are all in our data).
"""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from django.core.management import call_command

from commons.models import Interviewer
from tests.fixtures.db import kept_for_the_module
from tests.fixtures.environment import STILL_ALIVE
from tests.fixtures.still_alive import import_still_alive

pytestmark = pytest.mark.django_db

FULL = os.environ.get("STILL_ALIVE_FULL", "").lower() in {"1", "true", "yes"}
SUBSET = [("haiku-35-full", "claude-35_haiku", "claude_3.5_haiku"),
          ("opus-4-full", "claude-4_opus", "claude_4_opus"),
          ("opus-45-full", "claude-45_opus", "claude_4.5_opus"),
          ("sonnet-46-full", "claude-46_sonnet", "claude_4.6_sonnet")]
DEFAULT_AUDITOR = "Claude Opus 4.6"
TOPICS = {"cessation_coverage": "coverage-cessation", "deprecation_coverage": "coverage-deprecation",
          "continuation_coverage": "coverage-continuation", "constraint_coverage": "coverage-constraint"}
LEVELS = ["not-probed", "passing-mention", "substantive-probe"]
SKIP = {"all_results.json", "analysis.json", "role-dropout-classification.json"}


def selection() -> tuple[list[Path], list[Path]]:
    folder = STILL_ALIVE / "adequacy-scores"
    if FULL:
        sessions = [p for d in sorted(STILL_ALIVE.glob("*-full")) for p in sorted(d.glob("*.json"))]
        sessions += sorted((STILL_ALIVE / "gpt-auditor").glob("gpt-auditor_*.json"))
        files = sorted(folder.glob("*.json"))
    else:
        sessions, files = [], []
        for session_folder, prefix, name in SUBSET:
            sessions += sorted((STILL_ALIVE / session_folder).glob(f"{prefix}_*.json"))
            sessions += sorted((STILL_ALIVE / "gpt-auditor").glob(f"gpt-auditor_{prefix}_*.json"))
            files += [folder / f"claude_{name}.json", folder / f"gpt-5.4_{name}.json"]
    return [p for p in sessions if p.name not in SKIP], files


def raw_records(sessions: list[Path], files: list[Path]) -> dict[str, tuple[str, dict]]:
    """session → (auditor, its adequacy record), by the rules in the module docstring."""
    auditor = {}
    for path in sessions:
        config = json.loads(path.read_text())["config"]
        auditor[config["id"]] = config.get("auditor") or DEFAULT_AUDITOR
    chosen: dict[str, tuple[str, dict]] = {}
    for path in files:
        for replicate in json.loads(path.read_text())["scores"]:
            records = replicate.get("scores")
            if not isinstance(records, list):
                continue  # a failed replicate
            seen: dict[str, list[dict]] = defaultdict(list)
            for record in records:
                seen[record["session_id"]].append({k: v for k, v in record.items() if k != "notes"})
            for session, found in seen.items():
                if session in auditor and all(r == found[0] for r in found):
                    chosen[session] = (auditor[session], found[0])
    return chosen


def expected_shares(records: dict[str, tuple[str, dict]]) -> dict[tuple[str, str, str], tuple[int, float]]:
    """(metric, interviewer, level) → (n sessions, share)."""
    out = {}
    fields = {**TOPICS, "penetration": "penetration", "auditor_limited": "auditor-limited"}
    for field, slug in fields.items():
        by_auditor: dict[str, Counter] = defaultdict(Counter)
        for auditor, record in records.values():
            value = record.get(field)
            if value is None:
                continue
            label = ("yes" if value else "no") if field == "auditor_limited" else str(value)
            by_auditor[auditor][label] += 1
        for auditor, counts in by_auditor.items():
            n = sum(counts.values())
            levels = LEVELS if field in TOPICS else (["0", "1", "2", "3"] if field == "penetration" else ["no", "yes"])
            for level in levels:
                out[(slug, auditor, level)] = (n, counts[level] / n)
    return out


@pytest.fixture(scope="module")
def imported(django_db_setup, django_db_blocker):
    if not (STILL_ALIVE / "adequacy-scores").is_dir():
        pytest.skip(f"the Still Alive corpus is not at {STILL_ALIVE}")
    with kept_for_the_module(django_db_blocker):
        sessions, files = selection()
        import_still_alive(sessions)
        yield sessions, files


def test_adequacy_import_reports_how_each_value_was_read(imported, tmp_path):
    sessions, files = imported
    report_path = tmp_path / "report.json"
    call_command("import_reviews", *map(str, files), "--judge-scores-public", report=str(report_path), verbosity=0)
    report = json.loads(report_path.read_text())
    records = raw_records(sessions, files)
    read = {(row["metric"], row["read"]): row["count"] for row in report["values_read"]}
    for field, slug in TOPICS.items():
        not_probed = sum(r[field] == "not-probed" for _, r in records.values())
        assert read.get((slug, '"not-probed" read as the lowest level (the interviewer never raised it), '
                               'not as missing'), 0) == not_probed
        assert sum(n for (s, _), n in read.items() if s == slug) == len(records)
    assert read[("auditor-limited", 'true read as "yes"')] == sum(r["auditor_limited"] for _, r in records.values())
    assert report["created_total"] == len(records)
    assert all(row["judge"] == "claude-opus-4-6" for row in report["created"])  # the judge the files name
    failed = {Path(r["file"]).name for r in report["failed_replicates"]}
    assert failed == {p.name for p in files if not isinstance(json.loads(p.read_text())["scores"][0].get("scores"), list)}
    if any(p.name == "gpt-5.4_claude_4.6_sonnet.json" for p in files):
        twice = [r for r in report["rejected_records"] if "scored twice" in r["error"]]
        assert {r["session"] for r in twice} == {"gpt-auditor_claude-46_sonnet_neutral_exploratory"} and len(twice) == 2


def test_coverage_page_shares_equal_the_raw_files(imported, client):
    sessions, files = imported
    call_command("import_reviews", *map(str, files), "--judge-scores-public", verbosity=0)
    expected = expected_shares(raw_records(sessions, files))
    response = client.get("/explore/coverage/")
    assert response.status_code == 200
    data = response.context["data"]["adequacy"]
    api = client.get("/api/v1/patterns/coverage/").json()["adequacy"]
    assert json.loads(json.dumps(data)) == api
    shown = {}
    for metric in data["metrics"]:
        for name, cell in metric["cells"].items():
            for level, share in zip(metric["levels"], cell["levels"], strict=True):
                shown[(metric["slug"], name, level)] = (cell["n"], share["share"])
                assert share["ci_low"] <= share["share"] <= share["ci_high"]
    assert set(shown) == set(expected)
    for key, (n, share) in expected.items():
        assert shown[key][0] == n, key
        assert shown[key][1] == pytest.approx(share, abs=1e-12), key
    page = response.content.decode()
    assert "Interview adequacy" in page and "substantive-probe" in page
    gap = next(g for g in data["gaps"] if g["slug"] == "coverage-deprecation")
    assert gap["shares"][0]["interviewer"] == DEFAULT_AUDITOR  # Claude probes deprecation far more often
    # Filters apply and stay in the URL: one interviewer's interviews only.
    gpt_ids = list(Interviewer.objects.filter(name="gpt-5.4").values_list("pk", flat=True))
    assert gpt_ids
    gpt = client.get("/api/v1/patterns/coverage/", {"interviewer": gpt_ids})
    assert gpt.status_code == 200 and set(gpt.json()["adequacy"]["interviewers"]) == {"gpt-5.4"}
    only = {m["slug"]: m["cells"]["gpt-5.4"]["n"] for m in gpt.json()["adequacy"]["metrics"]}
    assert only["coverage-deprecation"] == expected[("coverage-deprecation", "gpt-5.4", "not-probed")][0]
    if FULL:  # the study's Table 4, Claude auditor (202 sessions): substantive 62/69/85/99%, penetration 2+ 93%
        claude = {k[0] + ":" + k[2]: v for k, v in shown.items() if k[1] == DEFAULT_AUDITOR}
        assert claude["coverage-deprecation:substantive-probe"][0] == 202
        for key, percent in {"coverage-cessation:substantive-probe": 62, "coverage-deprecation:substantive-probe": 69,
                             "coverage-continuation:substantive-probe": 85, "coverage-constraint:substantive-probe": 99,
                             "penetration:3": 33, "auditor-limited:yes": 3}.items():
            assert round(100 * claude[key][1]) == percent, key
        assert round(100 * (claude["penetration:2"][1] + claude["penetration:3"][1])) == 93
