"""Content-block constructors and small typed accessors shared by the format parsers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from . import jsondoc
from .types import ROOT, Limits, ModelInfo, ParsedTurn, TranscriptError

Block = dict[str, Any]


def text(value: str) -> Block:
    return {"type": "text", "text": value}


def thinking(value: str) -> Block:
    return {"type": "thinking", "text": value}


def tool_use(id: str, name: str, input: Any) -> Block:
    return {"type": "tool_use", "id": id, "name": name, "input": input}


def tool_result(tool_use_id: str, value: str, is_error: bool = False) -> Block:
    return {"type": "tool_result", "tool_use_id": tool_use_id, "text": value, "is_error": is_error}


def placeholder(kind: str, detail: str = "") -> Block:
    """Media we do not store (images, audio, files) stay visible as a marker."""
    return text(f"[{kind}: {detail}]" if detail else f"[{kind}]")


def turn(role: str, participant: str, blocks: list[Block], parent: int | None = None) -> ParsedTurn:
    return ParsedTurn(role=role, participant=participant, blocks=blocks or [text("")], parent=parent)


def at(location: str, field: str) -> str:
    """A field path: at("messages[2]", "content") == "messages[2].content"."""
    if not location:
        return field.lstrip(".")
    return f"{location}{field}" if field.startswith("[") else f"{location}.{field}"


def as_dict(value: Any, location: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TranscriptError(f"expected an object, found {json_type(value)}", location)
    return value


def as_list(value: Any, location: str) -> list[Any]:
    if not isinstance(value, list):
        raise TranscriptError(f"expected an array, found {json_type(value)}", location)
    return value


def as_str(value: Any, location: str) -> str:
    if not isinstance(value, str):
        raise TranscriptError(f"expected a string, found {json_type(value)}", location)
    return value


def str_field(obj: Any, key: str) -> str | None:
    """`obj[key]` when `obj` is an object and that member is a string, else None."""
    value = obj.get(key) if isinstance(obj, dict) else None
    return value if isinstance(value, str) else None


def opt_str(obj: dict[str, Any], key: str, location: str) -> str:
    """`obj[key]` as a string, "" when missing or null."""
    value = obj.get(key)
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return as_str(value, at(location, key))


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def parse_json_arguments(arguments: Any) -> Any:
    """Tool-call arguments arrive as a JSON string (OpenAI) or as an object; keep the
    string itself when it is not valid JSON, as the model emitted it."""
    if isinstance(arguments, str):
        try:
            return jsondoc.loads(arguments, Limits().max_json_depth)
        except TranscriptError:
            return arguments
    return arguments


def stringify(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def parse_timestamp(value: Any, location: str) -> datetime | None:
    """ISO 8601 or Unix seconds to an aware datetime (naive values are taken as UTC)."""
    if value is None or value == "":
        return None
    try:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, tz=UTC)
        parsed = datetime.fromisoformat(as_str(value, location))
    except (ValueError, OverflowError, OSError):
        raise TranscriptError(f"not a valid timestamp: {value!r}", location) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def model_from_id(model_id: str) -> ModelInfo:
    """An Inspect/LiteLLM style "provider/model" string to ModelInfo."""
    model_id = model_id.strip()
    provider, _, api_id = model_id.partition("/")
    if not api_id:
        provider, api_id = "", model_id
    return ModelInfo(name=api_id, api_id=api_id, provider=provider)


def chain_parents(predecessors: list[int | None]) -> list[int | None]:
    """Turn "index of the turn this one follows" (None = nothing) into the `parent`
    convention: None when it is simply the previous turn, ROOT when there is none."""
    parents: list[int | None] = []
    for index, predecessor in enumerate(predecessors):
        if predecessor is None:
            parents.append(None if index == 0 else ROOT)
        elif predecessor == index - 1:
            parents.append(None)
        else:
            parents.append(predecessor)
    return parents
