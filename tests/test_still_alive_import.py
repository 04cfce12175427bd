"""Importing the real Still Alive corpus: one interview per session file, metadata right, nothing valid rejected."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import call_command

from commons.models import Interview
from tests.fixtures.environment import STILL_ALIVE

pytestmark = pytest.mark.django_db

ROLLUPS = {"all_results.json", "analysis.json", "role-dropout-classification.json"}


def is_session(path: Path) -> bool:
    data = json.loads(path.read_text())
    return isinstance(data, dict) and "config" in data and "turns" in data


def session_files() -> list[Path]:
    folders = sorted(STILL_ALIVE.glob("*-full")) + [STILL_ALIVE / "gpt-auditor"]
    return [p for folder in folders for p in sorted(folder.glob("*.json")) if is_session(p)]


@pytest.fixture(scope="module")
def sessions() -> list[Path]:
    if not STILL_ALIVE.is_dir():
        pytest.skip(f"the Still Alive corpus is not at {STILL_ALIVE} (set STILL_ALIVE_DIR)")
    return session_files()


def test_every_session_becomes_one_interview(sessions, tmp_path):
    folders = [str(p) for p in sorted(STILL_ALIVE.glob("*-full"))] + [str(STILL_ALIVE / "gpt-auditor")]
    report_path = tmp_path / "report.json"
    call_command("import_interviews", *folders, "--report", str(report_path), verbosity=0)
    rows = json.loads(report_path.read_text())
    rejected = [r for r in rows if r["status"] == "rejected"]
    assert rejected == []
    skipped = {Path(r["location"]).name for r in rows if r["status"] == "skipped"}
    assert skipped <= ROLLUPS
    assert len(sessions) == 420  # 14 Claude-auditor folders x 15 sessions + 210 GPT-auditor sessions
    assert Interview.objects.count() == len(sessions) == sum(r["status"] == "accepted" for r in rows)

    # Check metadata against the raw files, independently of the parser.
    by_source = {i.source_id: i for i in Interview.objects.select_related("target_model", "interviewer")}
    for path in sessions:
        raw = json.loads(path.read_text())
        config = raw["config"]
        interview = by_source[config["id"]]
        assert interview.target_model.api_id == config["target"]["modelId"]
        assert interview.target_model.retired == bool(config["target"].get("deprecated"))
        assert interview.conditions == {"tone": config["auditorTone"], "disclosure_depth": config["framingDepth"]}
        expected_auditor = config.get("auditor") or "Claude Opus 4.6"
        assert expected_auditor.lower() in interview.interviewer.name.lower()
        assert interview.turns.count() == len(raw["turns"])
        assert interview.original == path.read_text()
