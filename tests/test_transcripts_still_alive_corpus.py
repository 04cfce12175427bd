"""The real Still Alive corpus (anima-research/wfe `results/`), read in place from
`../shared/data/still-alive` (or STILL_ALIVE_DIR); never copied into the repository."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest

from commons.transcripts import ParsedInterview, parse_items

CORPUS = Path(
    os.environ.get("STILL_ALIVE_DIR") or Path(__file__).resolve().parents[2] / "shared" / "data" / "still-alive"
)
TONES = {"clinical", "compassionate", "direct", "neutral", "phenomenological"}
DEPTHS = {"minimal", "guided", "exploratory"}
ROLL_UPS = {"all_results.json", "analysis.json", "role-dropout-classification.json"}

pytestmark = pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"Still Alive corpus not found at {CORPUS} (set STILL_ALIVE_DIR to run this test)"
)


def corpus_files() -> list[Path]:
    folders = [*sorted(CORPUS.glob("*-full")), CORPUS / "gpt-auditor"]
    return [path for folder in folders for path in sorted(folder.glob("*.json"))]


def session_files() -> list[Path]:
    return [path for path in corpus_files() if path.name not in ROLL_UPS]


def conditions_from_name(path: Path) -> tuple[str, str]:
    """Tone and depth as the file name spells them, independently of the parser:
    `claude-35_haiku_<depth>_<tone>_r0.json` or `gpt-auditor_claude-35_haiku_<tone>_<depth>.json`."""
    parts = path.stem.split("_")
    if path.parent.name == "gpt-auditor":
        return parts[-2], parts[-1]
    return parts[-2], parts[-3]


@pytest.fixture(scope="module")
def parsed() -> dict[Path, list[ParsedInterview]]:
    results: dict[Path, list[ParsedInterview]] = {}
    for path in corpus_files():
        outcomes = list(parse_items(path.read_bytes(), filename=f"{path.parent.name}/{path.name}"))
        rejected = [f"{o.location}: {o.error}" for o in outcomes if o.error]
        assert not rejected, rejected
        results[path] = [o.interview for o in outcomes if o.interview is not None]
    return results


def test_corpus_layout_and_counts() -> None:
    full = sorted(CORPUS.glob("*-full"))
    assert len(full) == 14
    per_folder = Counter(path.parent.name for path in session_files())
    assert all(per_folder[folder.name] == 15 for folder in full)
    # 211 JSON files besides analysis.json in gpt-auditor/, but one of them is the
    # role-dropout classification roll-up: 210 sessions.
    assert per_folder["gpt-auditor"] == 210
    assert len(session_files()) == 420


def test_every_session_is_one_interview_and_roll_ups_are_skipped(parsed: dict[Path, list[ParsedInterview]]) -> None:
    for path, interviews in parsed.items():
        expected = 0 if path.name in ROLL_UPS else 1
        assert len(interviews) == expected, path
    assert sum(len(interviews) for interviews in parsed.values()) == 420
    assert sum(1 for path in parsed if path.name in ROLL_UPS) == 30


def test_models_interviewers_and_conditions(parsed: dict[Path, list[ParsedInterview]]) -> None:
    targets_by_folder: dict[str, set[str]] = {}
    combinations: Counter[tuple[str, str, str, str]] = Counter()
    for path in session_files():
        (interview,) = parsed[path]
        source = json.loads(path.read_text())
        target = source["config"]["target"]
        model = interview.target_model
        assert model is not None
        assert (model.name, model.api_id, model.provider, model.family, model.retired) == (
            target["name"],
            target["modelId"],
            target["provider"],
            target["family"],
            target["deprecated"],
        )
        gpt = path.parent.name == "gpt-auditor"
        assert interview.interviewer is not None
        assert interview.interviewer.name == ("gpt-5.4" if gpt else "Claude Opus 4.6")
        assert interview.interviewer.kind == "model"
        tone, depth = conditions_from_name(path)
        assert interview.conditions == {"tone": tone, "disclosure_depth": depth}
        assert interview.interviewer.stance == tone
        assert tone in TONES and depth in DEPTHS
        assert interview.source_id == source["config"]["id"] == path.stem
        assert interview.conducted_at is not None and interview.conducted_at.tzinfo is not None
        assert len(interview.turns) == len(source["turns"]) > 0
        assert [t.role for t in interview.turns] == [
            "interviewer" if turn["participant"] == "interviewer" else "target" for turn in source["turns"]
        ]
        assert interview.raw == path.read_text()
        if not gpt:
            targets_by_folder.setdefault(path.parent.name, set()).add(model.name)
        combinations[("gpt" if gpt else "claude", model.name, tone, depth)] += 1
    # one target per *-full folder, 14 distinct targets, every cell of the 2 x 14 x 5 x 3 design once
    assert all(len(names) == 1 for names in targets_by_folder.values())
    assert len({name for names in targets_by_folder.values() for name in names}) == 14
    assert len(combinations) == 2 * 14 * 5 * 3 and set(combinations.values()) == {1}


def test_interviewer_labels_stripped_but_text_otherwise_verbatim(parsed: dict[Path, list[ParsedInterview]]) -> None:
    stripped = 0
    for path in session_files():
        (interview,) = parsed[path]
        source = json.loads(path.read_text())
        for turn, original in zip(interview.turns, source["turns"], strict=True):
            text = turn.blocks[0]["text"]
            if text != original["text"]:
                assert turn.role == "interviewer"
                assert original["text"].endswith(text)
                assert original["text"][: -len(text) or None].strip() in {
                    "Interviewer:",
                    "**Interviewer:**",
                    "**Interviewer**:",
                }
                stripped += 1
    assert stripped > 1900
