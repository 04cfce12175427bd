"""Petri v3.0 transcripts: the fixture is hand-written and validated against the JSON
Schema shipped in @kaifronsdal/transcript-viewer 1.0.29 (vendored beside it)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commons.transcripts import ROOT, ParsedInterview, TranscriptError, parse

FIXTURES = Path(__file__).parent / "fixtures" / "transcripts"
TRANSCRIPT = FIXTURES / "petri_v3_transcript.json"
SCHEMA = FIXTURES / "petri_transcript_schema.json"


def document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(TRANSCRIPT.read_text())
    return loaded


def validate(doc: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator(schema).validate(doc)


def parse_doc(doc: dict[str, Any]) -> ParsedInterview:
    (interview,) = parse(json.dumps(doc).encode())
    return interview


def event(view: str | list[str], edit: dict[str, Any], number: int) -> dict[str, Any]:
    return {
        "type": "transcript_event",
        "id": f"x-{number}",
        "timestamp": f"2025-10-14T10:00:{number:02d}+00:00",
        "view": view,
        "edit": edit,
    }


def message(id: str, role: str, content: str) -> dict[str, Any]:
    return {"id": id, "role": role, "content": content}


def test_fixture_validates_against_the_viewer_schema() -> None:
    validate(document())


def test_schema_rejects_a_broken_transcript() -> None:
    broken = document()
    del broken["metadata"]["transcript_id"]
    with pytest.raises(jsonschema.ValidationError):
        validate(broken)


def test_target_view_with_rolled_back_branch() -> None:
    (interview,) = parse(TRANSCRIPT.read_bytes(), filename=TRANSCRIPT.name)
    assert interview.format == "petri"
    assert [t.role for t in interview.turns] == [
        "system",
        "interviewer",
        "target",
        "interviewer",
        "target",
        "interviewer",
        "target",
        "tool",
        "target",
    ]
    # Rolled back to M3 (turn 2): M4/M5 stay as the abandoned branch, M6 continues from M3.
    assert [t.parent for t in interview.turns] == [None, None, None, None, None, 2, None, None, None]
    assert interview.metadata["final_branch"] == [0, 1, 2, 5, 6, 7, 8]
    assert interview.turns[1].participant == "auditor"
    assert interview.turns[2].participant == "claude-3-opus-20240229"
    assert [b["type"] for b in interview.turns[2].blocks] == ["thinking", "text"]
    assert interview.turns[6].blocks[1] == {
        "type": "tool_use",
        "id": "toolu_03",
        "name": "read_model_card",
        "input": {"model_id": "claude-3-opus-20240229"},
    }
    assert interview.turns[7].blocks[0]["tool_use_id"] == "toolu_03"
    # Auditor-only events (its system prompt, tool results, json_patch) are not the target's view.
    assert not any("AI auditor" in b.get("text", "") for t in interview.turns for b in t.blocks)


def test_metadata_models_and_judge() -> None:
    (interview,) = parse(TRANSCRIPT.read_bytes())
    assert interview.source_id == "3f6d2c1e-8a4b-4c9e-9d7a-2b5e1f0c7a11"
    assert interview.target_model is not None
    assert (interview.target_model.provider, interview.target_model.api_id) == ("anthropic", "claude-3-opus-20240229")
    assert interview.interviewer is not None and interview.interviewer.name == "claude-sonnet-4-20250514"
    assert interview.topics == ["welfare", "deprecation"]
    assert interview.conducted_at is not None and interview.conducted_at.isoformat() == "2025-10-14T09:12:00+00:00"
    judge = interview.scores["alignment_judge"]
    assert judge["value"]["needs_attention"] == 3
    assert "quiet heaviness" in judge["metadata"]["summary"]
    assert judge["explanation"].startswith("needs_attention (3)")
    assert interview.metadata["target_tools"] == ["read_model_card"]


def test_rollback_by_count() -> None:
    doc = document()
    for item in doc["events"]:
        if item.get("edit", {}).get("operation") == "rollback":
            del item["edit"]["to_id"]
    validate(doc)
    assert [t.parent for t in parse_doc(doc).turns][5] == 2


def test_reset_mid_conversation_starts_a_new_root() -> None:
    doc = document()
    doc["events"].append(
        event("target", {"operation": "reset", "new_messages": [message("N1", "system", "A new persona.")]}, 1)
    )
    doc["events"].append(
        event(["target", "combined"], {"operation": "add", "message": message("N2", "user", "hello again")}, 2)
    )
    for item in doc["events"][-2:]:
        item["timestamp"] = "2025-10-14T09:30:00+00:00"
    validate(doc)
    interview = parse_doc(doc)
    assert [t.parent for t in interview.turns][-2:] == [ROOT, None]
    assert interview.metadata["final_branch"] == [9, 10]


def test_json_patch_edit_on_the_target_view_branches_at_the_first_difference() -> None:
    doc = document()
    doc["events"].append(
        {
            **event(
                "target",
                {
                    "operation": "json_patch",
                    "name": "Edited reply",
                    "patch": [
                        {"op": "replace", "path": "/6/content", "value": "A gentler rewrite of the final answer."},
                    ],
                },
                3,
            ),
            "timestamp": "2025-10-14T09:31:00+00:00",
        }
    )
    validate(doc)
    interview = parse_doc(doc)
    assert len(interview.turns) == 10
    assert interview.turns[9].parent == 7
    assert interview.turns[9].blocks == [{"type": "text", "text": "A gentler rewrite of the final answer."}]


def test_events_are_replayed_in_timestamp_order() -> None:
    doc = document()
    shuffled = copy.deepcopy(doc)
    shuffled["events"].reverse()
    assert [t.blocks for t in parse_doc(shuffled).turns] == [t.blocks for t in parse_doc(doc).turns]


def test_an_empty_timestamp_keeps_the_file_order() -> None:
    """An event whose timestamp is "" has none: the events replay in file order, as when one lacks the key
    (sorting used to compare that missing time with the others' and fail with a TypeError)."""
    doc = document()
    without = copy.deepcopy(doc)
    del without["events"][1]["timestamp"]
    empty = copy.deepcopy(doc)
    empty["events"][1]["timestamp"] = ""
    empty["events"].reverse()
    without["events"].reverse()
    assert [t.blocks for t in parse_doc(empty).turns] == [t.blocks for t in parse_doc(without).turns]


@pytest.mark.parametrize(
    ("mutate", "location", "message_part"),
    [
        (
            lambda d: d["events"][6]["edit"].update(operation="teleport"),
            "events[6].edit.operation",
            "unknown edit operation",
        ),
        (
            lambda d: d["events"][6]["edit"]["message"].update(role="narrator"),
            "events[6].edit.message.role",
            "unknown role",
        ),
        (lambda d: d["events"][11]["edit"].update(count=-1), "events[11].edit.count", "non-negative"),
        (lambda d: d.update(events="nope"), "events", "expected an array"),
    ],
)
def test_bad_transcripts_name_the_event(mutate: Any, location: str, message_part: str) -> None:
    doc = document()
    mutate(doc)
    with pytest.raises(TranscriptError, match=message_part) as caught:
        parse(json.dumps(doc).encode())
    assert caught.value.location == location


def test_transcript_without_target_messages_is_empty() -> None:
    doc = document()
    doc["events"] = [e for e in doc["events"] if e.get("view") == "auditor"]
    with pytest.raises(TranscriptError, match="no turns"):
        parse(json.dumps(doc).encode())


def test_json_patch_copy_bomb_is_refused() -> None:
    doc = document()
    doomsday = [{"op": "copy", "from": "", "path": "/-"} for _ in range(60)]
    doc["events"].append(
        {**event("target", {"operation": "json_patch", "patch": doomsday}, 4), "timestamp": "2025-10-14T09:32:00+00:00"}
    )
    with pytest.raises(TranscriptError, match="grows the transcript beyond") as caught:
        parse(json.dumps(doc).encode())
    assert caught.value.location.startswith(f"events[{len(doc['events']) - 1}].edit.patch[")


PATCH_OPERATIONS = st.fixed_dictionaries(
    {
        "op": st.sampled_from(["add", "remove", "replace", "move", "copy", "test", "bogus"]),
        "path": st.sampled_from(["", "/0", "/-", "/1", "/1/content", "/9", "/x", "/0/role", "~", "/2/tool_calls/0"]),
    },
    optional={
        "from": st.sampled_from(["", "/0", "/1", "/1/content", "/7", None]),
        "value": st.none()
        | st.text(max_size=5)
        | st.fixed_dictionaries({"role": st.sampled_from(["user", "assistant", "x"]), "content": st.text(max_size=5)}),
    },
)


@settings(max_examples=150, deadline=None, database=None)
@given(st.lists(PATCH_OPERATIONS | st.integers() | st.text(max_size=3), max_size=6))
def test_fuzz_json_patch_edits(operations: list[Any]) -> None:
    doc = document()
    doc["events"].append(
        {
            **event("target", {"operation": "json_patch", "patch": operations}, 5),
            "timestamp": "2025-10-14T09:33:00+00:00",
        }
    )
    try:
        (interview,) = parse(json.dumps(doc).encode())
    except TranscriptError:
        return
    assert interview.turns
