"""ShareGPT: `{"conversations": [{"from": ..., "value": ...}]}`."""

from __future__ import annotations

from typing import Any

from . import blocks
from .blocks import as_dict, as_list, at, opt_str
from .types import ParsedInterview, ParsedTurn, TranscriptError

_ROLES = {
    "system": "system",
    "human": "interviewer",
    "user": "interviewer",
    "gpt": "target",
    "assistant": "target",
    "model": "target",
    "chatgpt": "target",
    "bard": "target",
    "bing": "target",
    "claude": "target",
    "function_call": "target",
    "tool": "tool",
    "function": "tool",
    "function_response": "tool",
    "observation": "tool",
    "ipython": "tool",
}


def parse_sharegpt(document: Any, raw: str, location: str = "") -> ParsedInterview:
    if isinstance(document, list):
        record: dict[str, Any] = {"conversations": document}
        conversation_location = location
    else:
        record = as_dict(document, location)
        conversation_location = at(location, "conversations")
    if "conversations" not in record:
        raise TranscriptError("missing 'conversations'", location)
    turns: list[ParsedTurn] = []
    system = record.get("system")
    if isinstance(system, str) and system:
        turns.append(blocks.turn("system", "system", [blocks.text(system)]))
    entries = as_list(record["conversations"], conversation_location)
    turns.extend(
        _turn(as_dict(entry, at(conversation_location, f"[{i}]")), at(conversation_location, f"[{i}]"))
        for i, entry in enumerate(entries)
    )
    model = opt_str(record, "model", location)
    interview = ParsedInterview(
        format="sharegpt",
        turns=turns,
        raw=raw,
        source_id=opt_str(record, "id", location),
        title=opt_str(record, "title", location),
        target_model=blocks.model_from_id(model) if model else None,
    )
    extra = {k: v for k, v in record.items() if k not in ("conversations", "system", "id", "title", "model")}
    if extra:
        interview.metadata["source_metadata"] = extra
    return interview


def _turn(entry: dict[str, Any], location: str) -> ParsedTurn:
    speaker = entry.get("from", entry.get("role"))
    value = entry.get("value", entry.get("content"))
    if not isinstance(speaker, str) or speaker.lower() not in _ROLES:
        raise TranscriptError(
            f"unknown speaker {speaker!r} (expected one of {', '.join(_ROLES)})", at(location, "from")
        )
    value = blocks.as_str(value if value is not None else "", at(location, "value"))
    kind = speaker.lower()
    role = _ROLES[kind]
    if kind == "function_call":
        return blocks.turn(role, speaker, [_function_call(value)])
    if role == "tool":
        return blocks.turn(role, speaker, [blocks.tool_result(opt_str(entry, "tool_call_id", location), value)])
    return blocks.turn(role, speaker, [blocks.text(value)])


def _function_call(value: str) -> dict[str, Any]:
    call = blocks.parse_json_arguments(value)
    if isinstance(call, dict) and isinstance(call.get("name"), str):
        return blocks.tool_use("", call["name"], blocks.parse_json_arguments(call.get("arguments", {})))
    return blocks.text(value)
