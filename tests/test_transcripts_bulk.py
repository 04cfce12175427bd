"""`parse_items`: bulk import where one bad item never stops the others."""

from __future__ import annotations

import json
from pathlib import Path

from commons.transcripts import ItemOutcome, TranscriptError, parse, parse_items
from tests.fixtures.payloads import zip_of

FIXTURES = Path(__file__).parent / "fixtures" / "transcripts"
ALL_FIXTURES = [
    "plain_human_assistant.txt",
    "markdown_interview.md",
    "openai_chat.json",
    "openai_conversations.jsonl",
    "openai_messages.jsonl",
    "anthropic_messages.json",
    "anthropic_request_response.json",
    "sharegpt_records.json",
    "still_alive_session.json",
    "petri_v3_transcript.json",
    "inspect_welfare_interview.json",
    "inspect_welfare_interview.eval",
    "petri_on_inspect_audit.eval",
]


def summary(outcomes: list[ItemOutcome]) -> dict[str, str]:
    return {o.location: "ok" if o.interview else ("skipped" if o.skipped else "error") for o in outcomes}


def test_archive_of_every_fixture_format() -> None:
    archive = zip_of({f"batch/{name}": (FIXTURES / name).read_bytes() for name in ALL_FIXTURES})
    outcomes = list(parse_items(archive, filename="batch.zip"))
    assert all(o.error is None and o.interview is not None for o in outcomes), [
        str(o.error) for o in outcomes if o.error
    ]
    formats = sorted({o.interview.format for o in outcomes if o.interview})
    assert formats == ["anthropic", "inspect", "openai", "petri", "plain", "sharegpt", "still_alive"]
    # 1+1+1+3+1+1+1+2+1+1 single-file interviews, 3+3 Inspect samples, 1 Petri-on-Inspect sample
    assert len(outcomes) == 20
    locations = [o.location for o in outcomes]
    assert "batch.zip:batch/openai_conversations.jsonl line 2" in locations
    assert "batch.zip:batch/inspect_welfare_interview.eval sample lifecycle-3" in locations
    assert "batch.zip:batch/sharegpt_records.json, [1]" in locations
    assert "batch.zip:batch/inspect_welfare_interview.json sample instance-2" in locations
    # strict parse accepts the same archive whole
    assert len(parse(archive, filename="batch.zip")) == 20


def test_bad_items_are_reported_and_the_rest_imported() -> None:
    good = (FIXTURES / "openai_chat.json").read_bytes()
    archive = zip_of(
        {
            "good.json": good,
            "broken.json": good[:200],
            "unknown.json": b'{"dialogue": []}',
            "latin1.txt": "Human: caf\u00e9\nAssistant: oui".encode("latin-1"),
            "lines.jsonl": b'{"messages": [{"role": "user", "content": "a"}]}\n'
            b'{"messages": [{"role": "oracle", "content": "b"}]}\n',
            "__MACOSX/._good.json": b"\x00\x05\x16\x07",
            ".DS_Store": b"\x00\x00\x00\x01Bud1",
            "results/all_results.json": b"[]",
            "results/analysis.json": b"[]",
            "results/": b"",
        }
    )
    outcomes = list(parse_items(archive, filename="upload.zip"))
    assert summary(outcomes) == {
        "upload.zip:good.json": "ok",
        "upload.zip:broken.json": "error",
        "upload.zip:unknown.json": "error",
        "upload.zip:latin1.txt": "error",
        "upload.zip:lines.jsonl line 1": "ok",
        "upload.zip:lines.jsonl line 2": "error",
        "upload.zip:__MACOSX/._good.json": "skipped",
        "upload.zip:.DS_Store": "skipped",
        "upload.zip:results/all_results.json": "skipped",
        "upload.zip:results/analysis.json": "skipped",
    }
    errors = {o.location: o.error for o in outcomes if o.error}
    assert all(isinstance(e, TranscriptError) for e in errors.values())
    assert errors["upload.zip:broken.json"].location.startswith("upload.zip:broken.json line ")
    assert "unknown role 'oracle'" in str(errors["upload.zip:lines.jsonl line 2"])
    assert errors["upload.zip:lines.jsonl line 2"].location == "upload.zip:lines.jsonl line 2, messages[0].role"
    skipped = {o.location: o.skipped for o in outcomes if o.skipped}
    assert "roll-up" in skipped["upload.zip:results/all_results.json"]


def test_single_files_in_bulk() -> None:
    outcomes = list(parse_items((FIXTURES / "openai_conversations.jsonl").read_bytes(), filename="c.jsonl"))
    assert [o.location for o in outcomes] == ["c.jsonl line 1", "c.jsonl line 2", "c.jsonl line 3"]
    (outcome,) = parse_items((FIXTURES / "plain_human_assistant.txt").read_bytes())
    assert outcome.location == "input" and outcome.interview is not None


def test_file_level_failure_is_one_error_outcome() -> None:
    (outcome,) = parse_items(b"\xff\xfe\x00\xd8", filename="bad.txt")
    assert outcome.interview is None and outcome.error is not None and outcome.location == "bad.txt"


def test_known_roll_up_files_are_skipped_even_alone() -> None:
    (outcome,) = parse_items(b"[]", filename="haiku-35-full/analysis.json")
    assert outcome.skipped and outcome.error is None


def test_json_array_of_records_reports_each_record() -> None:
    records = json.loads((FIXTURES / "sharegpt_records.json").read_text())
    records.insert(1, {"conversations": [{"from": "narrator", "value": "x"}]})
    outcomes = list(parse_items(json.dumps(records).encode(), filename="sg.json"))
    assert summary(outcomes) == {"sg.json, [0]": "ok", "sg.json, [1]": "error", "sg.json, [2]": "ok"}
