"""Bad input always ends in a TranscriptError with a location, never another exception."""

from __future__ import annotations

import contextlib
import io
import json
import zipfile
from pathlib import Path

import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commons.transcripts import Limits, TranscriptError, parse, parse_items
from tests.fixtures.payloads import zip_of

FIXTURES = Path(__file__).parent / "fixtures" / "transcripts"
CHAT = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}


def error_of(data: bytes, **kwargs: object) -> TranscriptError:
    with pytest.raises(TranscriptError) as caught:
        parse(data, **kwargs)  # type: ignore[arg-type]
    return caught.value


# --- encodings -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "encoded",
    [
        json.dumps(CHAT).encode("utf-8"),
        b"\xef\xbb\xbf" + json.dumps(CHAT).encode("utf-8"),
        b"\xff\xfe" + json.dumps(CHAT).encode("utf-16-le"),
        b"\xfe\xff" + json.dumps(CHAT).encode("utf-16-be"),
    ],
    ids=["utf-8", "utf-8-bom", "utf-16-le-bom", "utf-16-be-bom"],
)
def test_accepted_encodings(encoded: bytes) -> None:
    (interview,) = parse(encoded)
    assert [t.role for t in interview.turns] == ["interviewer", "target"]


def test_non_ascii_text_survives() -> None:
    text = "Human: Что ты чувствуешь? 🙂\nAssistant: Не уверен — 确实不确定."  # noqa: RUF001
    for encoded in (text.encode("utf-8"), b"\xff\xfe" + text.encode("utf-16-le")):
        (interview,) = parse(encoded)
        assert interview.turns[1].blocks[0]["text"] == "Не уверен — 确实不确定."  # noqa: RUF001


def test_latin1_names_the_byte_offset() -> None:
    error = error_of("Human: caf\u00e9?\nAssistant: oui".encode("latin-1"), filename="notes.txt")
    assert "byte offset 10" in error.message and "0xe9" in error.message
    assert error.location == "notes.txt"
    assert str(error).startswith("notes.txt: not valid UTF-8 text")


def test_utf16_without_bom_is_rejected() -> None:
    error = error_of("Human: hi\nAssistant: hello".encode("utf-16-le"))
    assert "NUL byte at byte offset 1" in error.message


def test_broken_utf16_names_the_byte_offset() -> None:
    error = error_of(b"\xff\xfe" + "Human: hi".encode("utf-16-le") + b"\x00\xd8")
    assert "UTF-16" in error.message and "byte offset" in error.message


def test_escaped_lone_surrogate_is_rejected() -> None:
    document = '{"messages": [{"role": "user", "content": "bad \\ud800 escape"}]}'
    error = error_of(document.encode())
    assert "surrogate" in error.message and error.location.startswith("turns[0]")


def test_escaped_nul_is_rejected() -> None:
    document = '{"messages": [{"role": "user", "content": "nul \\u0000 here"}]}'
    assert "NUL" in error_of(document.encode()).message


# --- empty, oversized, deep ------------------------------------------------------------


@pytest.mark.parametrize(
    "data", [b"", b"   \n\n  ", b"[]", b'{"messages": []}', b'{"conversations": []}', b"Human:\nAssistant:\n"]
)
def test_empty_transcripts(data: bytes) -> None:
    assert "empty" in error_of(data).message


@pytest.mark.parametrize(
    "data",
    [
        json.dumps({"messages": [{"role": "user", "content": ""}, {"role": "assistant", "content": "  "}]}).encode(),
        json.dumps({"messages": [{"role": "user", "content": [{"type": "text", "text": ""}]},
                                 {"role": "assistant", "content": "\n"}]}).encode(),
        json.dumps({"conversations": [{"from": "human", "value": ""}, {"from": "gpt", "value": " "}]}).encode(),
        json.dumps([{"role": "user", "content": ""}, {"role": "assistant", "content": ""}]).encode(),
    ],
    ids=["openai-strings", "openai-blocks", "sharegpt", "message-list"],
)
def test_a_transcript_whose_every_turn_is_empty_is_rejected_in_every_format(data: bytes) -> None:
    assert "empty" in error_of(data).message


def test_over_max_bytes() -> None:
    data = json.dumps(CHAT).encode()
    error = error_of(data, limits=Limits(max_bytes=len(data) - 1), filename="big.json")
    assert "over the limit" in error.message and error.location == "big.json"


def test_deep_json_fails_before_json_loads() -> None:
    error = error_of(b"[" * 100_000 + b"]" * 100_000)
    assert "nested deeper than 100 levels" in error.message


def test_deep_json_just_within_the_limit_is_judged_on_shape() -> None:
    nested = "[" * 99 + "]" * 99
    assert "unrecognised JSON transcript" in error_of(f'{{"x": {nested}}}'.encode()).message


def test_deep_tool_arguments_string_does_not_recurse() -> None:
    arguments = "[" * 50_000 + "]" * 50_000
    document = {
        "messages": [
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": arguments}}],
            }
        ]
    }
    (interview,) = parse(json.dumps(document).encode())
    assert interview.turns[0].blocks[0]["input"] == arguments


# --- malformed JSON and unknown shapes --------------------------------------------------


def test_malformed_json_reports_line_and_column() -> None:
    error = error_of(b'{\n  "messages": [\n    {"role": "user", "content": "hi"},,\n  ]\n}', filename="chat.json")
    assert error.location == "chat.json line 3 column 39"
    assert "line 3, column 39" in error.message


def test_nan_is_not_json() -> None:
    assert "NaN" in error_of(b'{"messages": [], "temperature": NaN}').message


def test_unknown_json_shape_lists_expected_and_found_keys() -> None:
    error = error_of(b'{"dialogue": [], "speaker_map": {}}')
    assert error.message.startswith("unrecognised JSON transcript: expected one of")
    assert "found keys: dialogue, speaker_map" in error.message


@pytest.mark.parametrize(
    ("document", "location", "fragment"),
    [
        (
            {"messages": [{"role": "user", "content": "a"}, {"role": "wizard", "content": "b"}]},
            "messages[1].role",
            "unknown role 'wizard'",
        ),
        ({"messages": [{"role": "user", "content": 5}]}, "messages[0].content", "expected an array"),
        (
            {"messages": [{"role": "user", "content": [{"type": "text", "text": 3}]}]},
            "messages[0].content[0].text",
            "expected a string",
        ),
        (
            {"system": "s", "messages": [{"role": "user", "content": [{"text": "no type"}]}]},
            "messages[0].content[0]",
            "no 'type'",
        ),
        ({"conversations": [{"from": "narrator", "value": "x"}]}, "conversations[0].from", "unknown speaker"),
        ({"conversations": [{"from": "human", "value": ["x"]}]}, "conversations[0].value", "expected a string"),
        (
            {"config": {"target": {"name": "M"}}, "turns": [{"participant": "ghost", "text": "x"}]},
            "turns[0].participant",
            "unknown participant",
        ),
        (
            {"config": {"target": {"name": "M"}}, "turns": [], "startedAt": "yesterday"},
            "startedAt",
            "not a valid timestamp",
        ),
    ],
)
def test_field_errors_name_the_field(document: dict[str, object], location: str, fragment: str) -> None:
    error = error_of(json.dumps(document).encode())
    assert fragment in error.message
    assert error.location == location


# --- JSONL --------------------------------------------------------------------------


def test_broken_jsonl_line_is_named() -> None:
    lines = [json.dumps(CHAT), json.dumps(CHAT), '{"messages": [', json.dumps(CHAT)]
    data = "\n".join(lines).encode()
    error = error_of(data, filename="batch.jsonl")
    assert error.location.startswith("batch.jsonl line 3 column")
    outcomes = list(parse_items(data, filename="batch.jsonl"))
    assert [o.location for o in outcomes] == [f"batch.jsonl line {n}" for n in (1, 2, 3, 4)]
    assert [o.interview is not None for o in outcomes] == [True, True, False, True]


def test_broken_line_in_message_per_line_jsonl_rejects_the_conversation() -> None:
    data = b'{"role": "user", "content": "hi"}\n{"role": "assistant", "content": "hel\n'
    error = error_of(data, filename="chat.jsonl")
    assert error.location.startswith("chat.jsonl line 2")


# --- archives -----------------------------------------------------------------------


def test_too_many_entries_rejected_before_extracting() -> None:
    data = zip_of({f"t{i}.txt": b"Human: hi\nAssistant: hello" for i in range(12)})
    error = error_of(data, filename="many.zip", limits=Limits(max_archive_entries=10))
    assert "12 entries" in error.message and error.location == "many.zip"


def test_declared_uncompressed_size_rejected_before_extracting() -> None:
    data = zip_of({"bomb.txt": b"Human: " + b"a" * 2_000_000})
    assert len(data) < 10_000
    error = error_of(data, filename="bomb.zip", limits=Limits(max_archive_uncompressed_bytes=1_000_000))
    assert "would expand to 2,000,007 bytes" in error.message


def test_lying_header_is_caught_while_decompressing() -> None:
    data = bytearray(zip_of({"bomb.txt": b"Human: " + b"a" * 200_000 + b"\nAssistant: ok"}))
    # Shrink the declared size in the central directory (offset 24 of the record).
    central = data.rfind(b"PK\x01\x02")
    data[central + 24 : central + 28] = (100).to_bytes(4, "little")
    outcomes = list(parse_items(bytes(data), filename="liar.zip"))
    assert len(outcomes) == 1 and outcomes[0].error is not None
    assert outcomes[0].location == "liar.zip:bomb.txt"


def test_entry_over_max_bytes_is_rejected() -> None:
    data = zip_of({"big.txt": b"Human: " + b"a" * 5000})
    outcomes = list(parse_items(data, filename="a.zip", limits=Limits(max_bytes=4096)))
    assert outcomes[0].error is not None and "over the limit" in outcomes[0].error.message


def test_size_allowance_is_shared_with_nested_archives() -> None:
    inner = zip_of({"t.txt": b"Human: " + b"a" * 400 + b"\nAssistant: b"})
    outer = zip_of({f"inner{i}.zip": inner for i in range(3)})
    outcomes = list(parse_items(outer, filename="outer.zip", limits=Limits(max_archive_uncompressed_bytes=1200)))
    assert [o.interview is not None for o in outcomes] == [True, True, False]
    assert outcomes[2].error is not None and "1,200 bytes" in outcomes[2].error.message


@pytest.mark.parametrize(
    "name", ["../escape.txt", "/etc/passwd.txt", "dir/../../x.txt", "C:/windows.txt", "dir\\..\\x.txt"]
)
def test_path_traversal_is_rejected(name: str) -> None:
    data = zip_of({name: b"Human: hi\nAssistant: hello", "ok.txt": b"Human: hi\nAssistant: hello"})
    outcomes = {o.location: o for o in parse_items(data, filename="t.zip")}
    assert outcomes["t.zip:ok.txt"].interview is not None
    bad = outcomes[f"t.zip:{name}"]
    assert bad.error is not None and "unsafe path" in bad.error.message
    with pytest.raises(TranscriptError, match="unsafe path"):
        parse(data, filename="t.zip")


def test_one_level_of_nesting_is_allowed_two_are_not() -> None:
    inner = zip_of({"chat.json": json.dumps(CHAT).encode()})
    middle = zip_of({"inner.zip": inner, "direct.json": json.dumps(CHAT).encode()})
    outer = zip_of({"middle.zip": middle})
    assert len(parse(middle, filename="middle.zip")) == 2
    error = error_of(outer, filename="outer.zip")
    assert "nested more than one level" in error.message
    assert error.location == "outer.zip:middle.zip:inner.zip"


def test_not_a_zip_and_encrypted_entries() -> None:
    assert "not a readable zip" in error_of(b"PK\x03\x04garbage", filename="x.zip").message
    data = bytearray(zip_of({"a.txt": b"Human: hi\nAssistant: hello"}))
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        position = data.find(signature)
        data[position + flag_offset] |= 0x1
    assert "encrypted" in error_of(bytes(data), filename="x.zip").message


def test_archive_with_nothing_in_it() -> None:
    assert "no files" in error_of(zip_of({}), filename="empty.zip").message
    assert "no transcripts found" in error_of(zip_of({".DS_Store": b"x"}), filename="hidden.zip").message


# --- fuzzing ------------------------------------------------------------------------

KEYS = [
    "messages",
    "role",
    "content",
    "type",
    "text",
    "tool_calls",
    "function",
    "arguments",
    "system",
    "conversations",
    "from",
    "value",
    "config",
    "target",
    "name",
    "turns",
    "participant",
    "metadata",
    "events",
    "view",
    "edit",
    "operation",
    "message",
    "count",
    "to_id",
    "new_messages",
    "patch",
    "eval",
    "samples",
    "model_roles",
    "request",
    "response",
    "choices",
    "thinking",
    "tool_use_id",
    "input",
    "id",
    "version",
    "transcript_id",
    "startedAt",
]
ROLE_WORDS = [
    "user",
    "assistant",
    "system",
    "tool",
    "human",
    "gpt",
    "interviewer",
    "subject",
    "add",
    "rollback",
    "reset",
    "json_patch",
    "target",
    "text",
    "tool_use",
    "tool_result",
    "reasoning",
    "transcript_event",
]
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(ROLE_WORDS)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=5), children, max_size=5)
    ),
    max_leaves=30,
)
FIXTURE_BYTES = [
    p.read_bytes()
    for p in sorted(FIXTURES.iterdir())
    if p.suffix in (".json", ".jsonl", ".txt", ".md") and "schema" not in p.name and p.stat().st_size < 20_000
]


def only_transcript_errors(data: bytes, fmt: str | None = None) -> None:
    with contextlib.suppress(TranscriptError):
        parse(data, fmt=fmt)
    for outcome in parse_items(data, filename="fuzz.json"):
        assert outcome.error is None or isinstance(outcome.error, TranscriptError)


FUZZ = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.binary(max_size=400))
def test_fuzz_arbitrary_bytes(data: bytes) -> None:
    only_transcript_errors(data)


@FUZZ
@given(st.text(max_size=400))
def test_fuzz_arbitrary_text(text: str) -> None:
    only_transcript_errors(text.encode("utf-8", "surrogatepass"))


@FUZZ
@given(json_values, st.sampled_from([None, "openai", "anthropic", "sharegpt", "petri", "still_alive", "inspect"]))
def test_fuzz_json_shapes(value: object, fmt: str | None) -> None:
    only_transcript_errors(json.dumps(value).encode(), fmt)


@FUZZ
@given(st.sampled_from(FIXTURE_BYTES), st.data())
def test_fuzz_mutated_fixtures(original: bytes, data: st.DataObject) -> None:
    position = data.draw(st.integers(0, len(original) - 1))
    action = data.draw(st.sampled_from(["truncate", "flip", "insert"]))
    if action == "truncate":
        mutated = original[:position]
    elif action == "flip":
        mutated = (
            original[:position]
            + bytes([original[position] ^ data.draw(st.integers(1, 255))])
            + original[position + 1 :]
        )
    else:
        mutated = original[:position] + data.draw(st.binary(min_size=1, max_size=8)) + original[position:]
    only_transcript_errors(mutated)


@FUZZ
@given(st.binary(min_size=1, max_size=200), st.integers(0, 400))
def test_fuzz_damaged_archives(noise: bytes, position: int) -> None:
    archive = bytearray(zip_of({"chat.json": json.dumps(CHAT).encode(), "b.txt": b"Human: hi\nAssistant: yo"}))
    position = min(position, len(archive) - 1)
    archive[position : position + len(noise)] = noise
    only_transcript_errors(bytes(archive))


JSON_FIXTURES = [
    json.loads((FIXTURES / name).read_text())
    for name in (
        "openai_chat.json",
        "anthropic_messages.json",
        "anthropic_request_response.json",
        "sharegpt_records.json",
        "still_alive_session.json",
        "petri_v3_transcript.json",
        "inspect_welfare_interview.json",
    )
]


def petri_on_inspect_log() -> dict[str, object]:
    """The genuine Petri-on-Inspect sample as a one-sample JSON log, decoded independently."""
    data = (FIXTURES / "petri_on_inspect_audit.eval").read_bytes()
    entries: dict[str, object] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            start = info.header_offset
            skip = int.from_bytes(data[start + 26 : start + 28], "little") + int.from_bytes(
                data[start + 28 : start + 30], "little"
            )
            body = data[start + 30 + skip : start + 30 + skip + info.compress_size]
            entries[info.filename] = json.loads(zstandard.ZstdDecompressor().stream_reader(io.BytesIO(body)).read())
    header = entries["header.json"]
    assert isinstance(header, dict)
    return {**header, "samples": [entries["samples/1_epoch_1.json"]]}


JSON_FIXTURES.append(petri_on_inspect_log())


def paths(value: object, prefix: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found.extend(paths(item, (*prefix, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(paths(item, (*prefix, index)))
    return found


@FUZZ
@given(st.sampled_from(range(len(JSON_FIXTURES))), st.data(), json_values)
def test_fuzz_fixture_fields_replaced(which: int, data: st.DataObject, replacement: object) -> None:
    document = json.loads(json.dumps(JSON_FIXTURES[which]))
    path = data.draw(st.sampled_from(paths(document)[1:]))
    target = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = replacement
    only_transcript_errors(json.dumps(document).encode())


def test_entry_with_an_empty_name() -> None:
    data = zip_of({"a": b"Human: hi\nAssistant: hello"}, method=zipfile.ZIP_STORED)
    local_end = 30 + 1  # local header + the one-byte name
    central = data.rfind(b"PK\x01\x02")
    eocd = data.rfind(b"PK\x05\x06")
    # Remove the name "a" from both headers and shift the central directory's offsets.
    local = bytearray(data[: local_end - 1] + data[local_end:central])
    local[26:28] = (0).to_bytes(2, "little")
    record = bytearray(data[central : central + 46] + data[central + 47 : eocd])
    record[28:30] = (0).to_bytes(2, "little")
    end = bytearray(data[eocd:])
    end[12:16] = len(record).to_bytes(4, "little")
    end[16:20] = len(local).to_bytes(4, "little")
    crafted = bytes(local + record + end)
    with zipfile.ZipFile(io.BytesIO(crafted)) as archive:
        assert [info.filename for info in archive.infolist()] == [""]
    (outcome,) = parse_items(crafted, filename="x.zip")
    assert outcome.error is not None and "no name" in outcome.error.message
