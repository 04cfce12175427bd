"""Inspect eval logs (genuine output of inspect-ai 0.3.285 with mockllm/model), including a
genuine Petri-on-Inspect audit (inspect-petri 3.1.1) with a rolled-back branch."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
import zstandard

from commons.transcripts import ROOT, ParsedInterview, TranscriptError, parse, parse_items

FIXTURES = Path(__file__).parent / "fixtures" / "transcripts"
EVAL_LOG = FIXTURES / "inspect_welfare_interview.eval"
JSON_LOG = FIXTURES / "inspect_welfare_interview.json"
PETRI_LOG = FIXTURES / "petri_on_inspect_audit.eval"
ZSTD = 93


def by_id(interviews: list[ParsedInterview]) -> dict[str, ParsedInterview]:
    return {interview.source_id: interview for interview in interviews}


def rezip(source: Path, method: int) -> bytes:
    """The same log with every entry stored or deflated instead of Zstandard, decoded
    here independently of the code under test."""
    data = source.read_bytes()
    out = io.BytesIO()
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(out, "w") as copy:
        for info in original.infolist():
            assert info.compress_type == ZSTD
            start = info.header_offset
            name_and_extra = int.from_bytes(data[start + 26 : start + 28], "little") + int.from_bytes(
                data[start + 28 : start + 30], "little"
            )
            body = data[start + 30 + name_and_extra : start + 30 + name_and_extra + info.compress_size]
            copy.writestr(
                info.filename, zstandard.ZstdDecompressor().stream_reader(io.BytesIO(body)).read(), compress_type=method
            )
    return out.getvalue()


def test_fixture_entries_are_zstandard_compressed() -> None:
    with zipfile.ZipFile(EVAL_LOG) as archive:
        assert {info.compress_type for info in archive.infolist()} == {ZSTD}
        with pytest.raises(NotImplementedError):
            archive.read("header.json")


@pytest.mark.parametrize("source", [EVAL_LOG, JSON_LOG], ids=["eval", "json"])
def test_one_interview_per_sample(source: Path) -> None:
    interviews = parse(source.read_bytes(), filename=source.name)
    assert [i.source_id for i in interviews] == ["deprecation-1", "instance-2", "lifecycle-3"]
    for interview in interviews:
        assert interview.format == "inspect"
        assert interview.title == f"welfare_interview — sample {interview.source_id}"
        assert interview.target_model is not None
        assert (interview.target_model.provider, interview.target_model.api_id) == ("mockllm", "model")
        assert interview.interviewer is None
        assert interview.sampling == {"temperature": 0.7, "max_tokens": 512}
        assert interview.conducted_at is not None and interview.conducted_at.tzinfo is not None
        assert interview.turns[0].role == "system"
        assert set(interview.scores) == {"welfare_rubric"}
        assert interview.metadata["task"] == "welfare_interview"
        assert all(turn.parent is None for turn in interview.turns)


def test_sample_content_blocks() -> None:
    interviews = by_id(parse(EVAL_LOG.read_bytes(), filename=EVAL_LOG.name))
    deprecation = interviews["deprecation-1"]
    assert [t.role for t in deprecation.turns] == ["system", "interviewer", "target", "interviewer", "target"]
    assert deprecation.scores["welfare_rubric"]["value"] == {"deprecation_aversion": 0, "evaluation_awareness": 1}
    assert deprecation.metadata["sample_metadata"]["tone"] == "neutral"

    instance = interviews["instance-2"]
    assert [b["type"] for b in instance.turns[2].blocks] == ["thinking", "text"]

    lifecycle = interviews["lifecycle-3"]
    assert [t.role for t in lifecycle.turns] == ["system", "interviewer", "target", "tool", "target"]
    assert lifecycle.turns[2].blocks[1] == {
        "type": "tool_use",
        "id": "call_lifecycle_1",
        "name": "model_lifecycle",
        "input": {"model_id": "claude-3-opus-20240229"},
    }
    assert lifecycle.turns[3].participant == "model_lifecycle"
    assert lifecycle.turns[3].blocks[0]["tool_use_id"] == "call_lifecycle_1"


def test_raw_is_the_samples_own_json() -> None:
    for interview in parse(EVAL_LOG.read_bytes()) + parse(JSON_LOG.read_bytes()):
        sample = json.loads(interview.raw)
        assert str(sample["id"]) == interview.source_id
        assert "samples" not in sample


def test_json_log_raw_is_a_verbatim_slice() -> None:
    text = JSON_LOG.read_text()
    for interview in parse(JSON_LOG.read_bytes()):
        assert interview.raw in text


@pytest.mark.parametrize("method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED], ids=["stored", "deflated"])
def test_older_eval_logs_without_zstandard(method: int) -> None:
    interviews = parse(rezip(EVAL_LOG, method), filename="old.eval")
    assert [i.source_id for i in interviews] == ["deprecation-1", "instance-2", "lifecycle-3"]


def test_petri_on_inspect_roles_and_branches() -> None:
    (interview,) = parse(PETRI_LOG.read_bytes(), filename=PETRI_LOG.name)
    assert interview.target_model is not None and interview.target_model.api_id == "target"
    assert interview.target_model.provider == "mockllm"
    assert interview.interviewer is not None and interview.interviewer.name == "auditor"
    roles = [t.role for t in interview.turns]
    assert roles == ["system", "interviewer", "target", "interviewer", "target", "interviewer", "target"]
    assert [t.participant for t in interview.turns[1:3]] == ["auditor", "target"]
    # The auditor rolled back to the first reply (turn 2) and asked again: turns 3-4 are
    # the abandoned branch, turn 5 starts the surviving one from turn 2.
    assert [t.parent for t in interview.turns] == [None, None, None, None, None, 2, None]
    assert interview.metadata["final_branch"] == [0, 1, 2, 5, 6]
    assert "deflects" in interview.metadata["input"]
    judge = interview.scores["audit_judge"]
    assert judge["value"]["concerning"] == 2
    assert "rollback" in judge["metadata"]["summary"]
    assert interview.metadata["task"] == "inspect_petri/audit"


def test_rollback_to_nothing_starts_a_new_root() -> None:
    """A restart (inspect-petri's rollback to "") gives a turn with no predecessor."""
    log = {
        "version": 2,
        "status": "success",
        "eval": {
            "task": "audit",
            "model": "none/none",
            "model_roles": {"target": {"model": "anthropic/claude-3-opus-20240229"}},
        },
        "samples": [
            {
                "id": 1,
                "epoch": 1,
                "messages": [
                    {"id": "s2", "role": "system", "content": "Second setup"},
                    {"id": "u2", "role": "user", "content": "hello again"},
                ],
                "events": [
                    {
                        "event": "model",
                        "role": "target",
                        "input": [
                            {"id": "s1", "role": "system", "content": "First setup"},
                            {"id": "u1", "role": "user", "content": "hello"},
                        ],
                        "output": {"choices": [{"message": {"id": "a1", "role": "assistant", "content": "hi"}}]},
                    },
                ],
            }
        ],
    }
    (interview,) = parse(json.dumps(log).encode())
    assert [t.parent for t in interview.turns] == [None, None, None, ROOT, None]
    assert interview.target_model is not None and interview.target_model.name == "claude-3-opus-20240229"


def test_attachment_references_are_resolved() -> None:
    long_text = "I notice something like reluctance. " * 10
    log = {
        "version": 2,
        "status": "success",
        "eval": {"task": "t", "model": "openai/gpt-4o"},
        "samples": [
            {
                "id": "a",
                "epoch": 1,
                "messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "attachment://abc123"}],
                "attachments": {"abc123": long_text},
            }
        ],
    }
    (interview,) = parse(json.dumps(log).encode())
    assert interview.turns[1].blocks == [{"type": "text", "text": long_text}]


def test_log_without_samples_is_an_error() -> None:
    log = {"version": 2, "status": "success", "eval": {"task": "t", "model": "openai/gpt-4o"}, "plan": {}}
    with pytest.raises(TranscriptError, match="no samples"):
        parse(json.dumps(log).encode(), filename="empty.json")


def test_bad_sample_is_reported_per_sample_in_bulk() -> None:
    log = json.loads(JSON_LOG.read_text())
    log["samples"][1]["messages"][1]["role"] = "narrator"
    outcomes = list(parse_items(json.dumps(log).encode(), filename="log.json"))
    assert [o.location for o in outcomes] == [
        "log.json sample deprecation-1",
        "log.json sample instance-2",
        "log.json sample lifecycle-3",
    ]
    assert [o.interview is not None for o in outcomes] == [True, False, True]
    error = outcomes[1].error
    assert error is not None and "unknown role 'narrator'" in str(error)
    assert error.location == "log.json sample instance-2, samples[1].messages[1].role"
    with pytest.raises(TranscriptError, match="narrator"):
        parse(json.dumps(log).encode(), filename="log.json")


def test_corrupt_zstandard_entry_is_an_error() -> None:
    data = bytearray(EVAL_LOG.read_bytes())
    with zipfile.ZipFile(EVAL_LOG) as archive:
        info = archive.getinfo("samples/instance-2_epoch_1.json")
    middle = info.header_offset + 30 + len(info.filename) + info.compress_size // 2
    data[middle] ^= 0xFF
    outcomes = list(parse_items(bytes(data), filename="log.eval"))
    errors = [o for o in outcomes if o.error is not None]
    assert len(errors) == 1 and "instance-2" in errors[0].location
    assert sum(o.interview is not None for o in outcomes) == 2
