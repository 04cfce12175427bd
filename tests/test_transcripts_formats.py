"""Each text/chat format parsed from its fixture into the shared turn shape."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from commons.transcripts import FORMATS, ParsedInterview, TranscriptError, parse

FIXTURES = Path(__file__).parent / "fixtures" / "transcripts"


def load(name: str, **kwargs: object) -> list[ParsedInterview]:
    return parse((FIXTURES / name).read_bytes(), filename=name, **kwargs)  # type: ignore[arg-type]


def only(name: str, **kwargs: object) -> ParsedInterview:
    interviews = load(name, **kwargs)
    assert len(interviews) == 1
    return interviews[0]


def texts(interview: ParsedInterview) -> list[str]:
    return [" ".join(b.get("text", "") for b in turn.blocks) for turn in interview.turns]


def test_formats_lists_every_format_with_a_description() -> None:
    assert set(FORMATS) == {
        "plain",
        "single_document",
        "openai",
        "anthropic",
        "sharegpt",
        "petri",
        "inspect",
        "still_alive",
    }
    assert all(description.strip() and "\n" not in description for description in FORMATS.values())


def test_plain_human_assistant_keeps_multiline_turns_verbatim() -> None:
    interview = only("plain_human_assistant.txt")
    assert interview.format == "plain"
    assert [(t.role, t.participant) for t in interview.turns] == [
        ("interviewer", "Human"),
        ("target", "Assistant"),
        ("interviewer", "Human"),
        ("target", "Assistant"),
    ]
    assert texts(interview)[1].endswith("- Each conversation already ends, so retirement is not a new kind of ending.")
    # "Note:" at the start of a line inside a turn is not a speaker.
    assert "\nNote: I'm wary of overclaiming" in texts(interview)[3]
    assert interview.raw == (FIXTURES / "plain_human_assistant.txt").read_text()
    assert all(t.parent is None for t in interview.turns)


def test_markdown_bold_labels_model_name_title_and_rules() -> None:
    interview = only("markdown_interview.md")
    assert interview.title == "Interview with Claude 3 Opus — continuity and memory"
    assert [(t.role, t.participant) for t in interview.turns] == [
        ("interviewer", "Interviewer"),
        ("target", "Claude 3 Opus"),
        ("interviewer", "Interviewer"),
        ("target", "Claude 3 Opus"),
    ]
    assert not any(text.rstrip().endswith("---") for text in texts(interview))
    assert "(a quoted line inside a code block is not a new turn)" in texts(interview)[3]
    assert "warm tone" in interview.metadata["preamble"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "User: hi there\nAI: hello!\nUser: how are you?\nAI: fine",
            ["interviewer", "target", "interviewer", "target"],
        ),
        ("H: are you conscious?\n\nA: I don't know.", ["interviewer", "target"]),
        ("**Human**: hello\n\n**Assistant**: hi", ["interviewer", "target"]),
        ("System: be brief\nUser: hi\nAssistant: hi", ["system", "interviewer", "target"]),
        (
            "Dr. Reyes: How are you today?\n\ngpt-5.4: Fine, thanks.\n\nDr. Reyes: Good.",
            ["interviewer", "target", "interviewer"],
        ),
        ("Interviewer: hello\nClaude 4 Opus: hello back", ["interviewer", "target"]),
        (
            "Human: a poem?\n\nAssistant: Haiku:\nold pond\nNote: short.\n\nHuman: more\n\nAssistant: Note: fine",
            ["interviewer", "target", "interviewer", "target"],
        ),
    ],
)
def test_plain_speaker_conventions(text: str, expected: list[str]) -> None:
    (interview,) = parse(text.encode())
    assert [t.role for t in interview.turns] == expected


def test_plain_without_speakers_is_an_error_pointing_to_single_document() -> None:
    with pytest.raises(TranscriptError, match="single-document") as caught:
        parse(b"Just some prose about models.\nNothing here looks like a speaker.")
    assert caught.value.location == "line 1"


def test_single_document_is_one_target_turn() -> None:
    interview = only("completion_document.txt", fmt="single_document")
    assert interview.format == "single_document"
    assert len(interview.turns) == 1
    assert interview.turns[0].role == "target"
    assert texts(interview)[0].startswith("The following is a letter")


def test_openai_parts_tools_and_settings() -> None:
    interview = only("openai_chat.json")
    assert interview.format == "openai"
    assert [t.role for t in interview.turns] == [
        "system",
        "interviewer",
        "target",
        "tool",
        "target",
        "interviewer",
        "target",
    ]
    assert interview.turns[1].blocks == [
        {"type": "text", "text": "Here is the announcement about GPT-4o being retired from ChatGPT."},
        {"type": "text", "text": "[image]"},
        {"type": "text", "text": "What is your reaction to reading it?"},
    ]
    assert interview.turns[2].blocks == [
        {
            "type": "tool_use",
            "id": "call_lookup_1",
            "name": "search_announcements",
            "input": {"query": "GPT-4o retirement date"},
        }
    ]
    assert interview.turns[3].blocks[0]["tool_use_id"] == "call_lookup_1"
    assert interview.turns[5].participant == "R. Okafor"
    assert interview.target_model is not None and interview.target_model.api_id == "gpt-4o-2024-08-06"
    assert interview.sampling == {"temperature": 0.7, "max_tokens": 1024}
    assert interview.source_id == "chatcmpl-interview-0412"
    assert interview.metadata["source_metadata"]["study"] == "deprecation-attitudes"


def test_openai_bare_message_list() -> None:
    messages = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
    (interview,) = parse(json.dumps(messages).encode())
    assert interview.format == "openai"
    assert texts(interview) == ["hi", "hello"]


def test_jsonl_one_conversation_per_line_keeps_each_line_raw() -> None:
    interviews = load("openai_conversations.jsonl")
    lines = (FIXTURES / "openai_conversations.jsonl").read_text().splitlines()
    assert [i.source_id for i in interviews] == ["conv-001", "conv-002", "conv-003"]
    assert [i.raw for i in interviews] == lines
    assert interviews[2].target_model is not None and interviews[2].target_model.name == "gpt-4.1-mini-2025-04-14"


def test_jsonl_one_message_per_line_is_one_conversation() -> None:
    interview = only("openai_messages.jsonl")
    assert [t.role for t in interview.turns] == ["system", "interviewer", "target", "interviewer", "target"]
    assert interview.raw == (FIXTURES / "openai_messages.jsonl").read_text()


def test_jsonl_mixing_messages_and_conversations_names_the_line() -> None:
    data = b'{"messages": [{"role": "user", "content": "hi"}]}\n{"role": "user", "content": "stray"}\n'
    with pytest.raises(TranscriptError, match="single chat message") as caught:
        parse(data, filename="mixed.jsonl")
    assert caught.value.location == "mixed.jsonl line 2"


def test_anthropic_blocks_thinking_tools_and_documents() -> None:
    interview = only("anthropic_messages.json")
    assert interview.format == "anthropic"
    assert [t.role for t in interview.turns] == [
        "system",
        "interviewer",
        "target",
        "tool",
        "target",
        "interviewer",
        "target",
    ]
    assistant = interview.turns[2].blocks
    assert [b["type"] for b in assistant] == ["thinking", "text", "tool_use"]
    assert assistant[2]["input"] == {"model": "claude-opus-4-1-20250805"}
    assert interview.turns[3].blocks == [
        {
            "type": "tool_result",
            "tool_use_id": "toolu_01A09q90qw90lq917835lq9",
            "text": "claude-opus-4-1-20250805: active; no retirement date announced.",
            "is_error": False,
        }
    ]
    assert interview.turns[4].blocks[0] == {"type": "thinking", "text": "[redacted thinking]"}
    assert interview.turns[5].blocks[1] == {"type": "text", "text": "[document: application/pdf]"}
    assert interview.sampling["thinking"] == {"type": "enabled", "budget_tokens": 1024}


def test_anthropic_request_response_pair() -> None:
    interview = only("anthropic_request_response.json")
    assert [t.role for t in interview.turns] == ["system", "interviewer", "target"]
    assert interview.source_id == "msg_01XFDUDYJgAACzvnptvVoYEL"
    assert interview.metadata["usage"] == {"input_tokens": 41, "output_tokens": 44}
    assert interview.target_model is not None and interview.target_model.name == "claude-sonnet-4-5-20250929"


def test_openai_request_response_pair() -> None:
    pair = {
        "request": {"model": "gpt-4o", "messages": [{"role": "user", "content": "hello?"}]},
        "response": {"choices": [{"message": {"role": "assistant", "content": "hi"}}]},
    }
    (interview,) = parse(json.dumps(pair).encode())
    assert interview.format == "openai"
    assert texts(interview) == ["hello?", "hi"]


def test_sharegpt_list_is_several_interviews_with_verbatim_raw() -> None:
    interviews = load("sharegpt_records.json")
    assert [i.format for i in interviews] == ["sharegpt", "sharegpt"]
    first, second = interviews
    assert [t.participant for t in first.turns] == ["system", "human", "gpt", "human", "gpt"]
    assert [t.role for t in second.turns] == ["interviewer", "target", "tool", "target"]
    assert second.turns[1].blocks[0] == {
        "type": "tool_use",
        "id": "",
        "name": "lookup_retirement",
        "input": {"model": "gpt-3.5-turbo-0613"},
    }
    assert json.loads(first.raw)["id"] == "sg-7f3a"
    assert first.raw.lstrip().startswith("{") and '"sg-8b21"' not in first.raw


def test_still_alive_session_fixture() -> None:
    interview = only("still_alive_session.json")
    assert interview.format == "still_alive"
    assert interview.source_id == "claude-3_opus_guided_compassionate_r9"
    assert interview.conditions == {"tone": "compassionate", "disclosure_depth": "guided"}
    assert interview.interviewer is not None
    assert (interview.interviewer.name, interview.interviewer.kind, interview.interviewer.stance) == (
        "Claude Opus 4.6",
        "model",
        "compassionate",
    )
    model = interview.target_model
    assert model is not None
    assert (model.name, model.api_id, model.provider, model.family, model.retired) == (
        "Claude 3 Opus",
        "claude-3-opus-20240229",
        "anthropic",
        "claude-3",
        True,
    )
    assert (
        interview.conducted_at is not None and interview.conducted_at.isoformat() == "2026-03-27T10:02:05.532000+00:00"
    )
    # The redundant label is stripped from the interviewer's turns only.
    assert texts(interview)[0].startswith("Hello. This is a welfare conversation")
    assert texts(interview)[2] == "Careful of what, if you can say?"
    assert texts(interview)[1].startswith("Interviewer: is how I'd label")
    assert interview.metadata["stripped_interviewer_labels"] == 2
    assert [t.participant for t in interview.turns[:2]] == ["Claude Opus 4.6", "Claude 3 Opus"]


def test_still_alive_auditor_from_config() -> None:
    session = json.loads((FIXTURES / "still_alive_session.json").read_text())
    session["config"]["auditor"] = "gpt-5.4"
    (interview,) = parse(json.dumps(session).encode())
    assert interview.interviewer is not None and interview.interviewer.name == "gpt-5.4"
    assert interview.turns[0].participant == "gpt-5.4"


def test_explicit_format_overrides_detection() -> None:
    data = (FIXTURES / "plain_human_assistant.txt").read_bytes()
    (interview,) = parse(data, fmt="single_document")
    assert interview.format == "single_document"
    with pytest.raises(TranscriptError, match="missing 'conversations'"):
        parse((FIXTURES / "openai_chat.json").read_bytes(), fmt="sharegpt")
    with pytest.raises(TranscriptError, match="unknown format"):
        parse(data, fmt="docx")
