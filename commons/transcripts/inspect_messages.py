"""Inspect `ChatMessage` dicts to turns. Petri v3 transcripts use the same schema."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from . import blocks
from .blocks import Block, as_dict, as_list, at, opt_str
from .types import ParsedTurn, TranscriptError

ATTACHMENT_PREFIX = "attachment://"
_ROLES = {"system": "system", "user": "interviewer", "assistant": "target", "tool": "tool"}
_MEDIA = {"image": "image", "audio": "audio", "video": "video", "document": "document", "data": "data"}

Resolver = Callable[[str], str]


def attachment_resolver(attachments: Any) -> Resolver:
    """Inspect logs move long strings to `attachments` and leave "attachment://<hash>"."""
    table: Mapping[str, Any] = attachments if isinstance(attachments, dict) else {}

    def resolve(value: str) -> str:
        if value.startswith(ATTACHMENT_PREFIX):
            found = table.get(value[len(ATTACHMENT_PREFIX) :])
            if isinstance(found, str):
                return found
        return value

    return resolve


def resolve_all(value: Any, resolve: Resolver) -> Any:
    if isinstance(value, str):
        return resolve(value)
    if isinstance(value, list):
        return [resolve_all(item, resolve) for item in value]
    if isinstance(value, dict):
        return {key: resolve_all(item, resolve) for key, item in value.items()}
    return value


def message_turn(message: Any, location: str, labels: Mapping[str, str], resolve: Resolver) -> ParsedTurn:
    message = as_dict(message, location)
    role_name = message.get("role")
    if not isinstance(role_name, str) or role_name not in _ROLES:
        raise TranscriptError(f"unknown role {role_name!r} (expected one of {', '.join(_ROLES)})", at(location, "role"))
    content = content_blocks(message.get("content"), at(location, "content"), resolve)
    participant = labels.get(role_name, role_name)
    if role_name == "assistant":
        participant = labels.get("assistant") or opt_str(message, "model", location) or "assistant"
        for i, call in enumerate(as_list(message.get("tool_calls") or [], at(location, "tool_calls"))):
            call = as_dict(call, at(location, f"tool_calls[{i}]"))
            content.append(
                blocks.tool_use(
                    opt_str(call, "id", at(location, f"tool_calls[{i}]")),
                    opt_str(call, "function", at(location, f"tool_calls[{i}]")),
                    resolve_all(blocks.parse_json_arguments(call.get("arguments", {})), resolve),
                )
            )
    elif role_name == "tool":
        error = message.get("error")
        result = "\n".join(b["text"] for b in content if b["type"] == "text")
        if isinstance(error, dict) and not result:
            result = opt_str(error, "message", at(location, "error"))
        content = [blocks.tool_result(opt_str(message, "tool_call_id", location), result, error is not None)]
        participant = opt_str(message, "function", location) or "tool"
    return blocks.turn(_ROLES[role_name], participant, content)


def content_blocks(content: Any, location: str, resolve: Resolver) -> list[Block]:
    if content is None:
        return []
    if isinstance(content, str):
        return [blocks.text(resolve(content))]
    result: list[Block] = []
    for i, part in enumerate(as_list(content, location)):
        here = at(location, f"[{i}]")
        part = as_dict(part, here)
        kind = part.get("type") if isinstance(part.get("type"), str) else None
        if kind == "text":
            result.append(blocks.text(resolve(blocks.as_str(part.get("text"), at(here, "text")))))
        elif kind == "reasoning":
            result.append(blocks.thinking(_reasoning_text(part, here, resolve)))
        elif kind == "tool_use":
            call_id = opt_str(part, "id", here)
            result.append(
                blocks.tool_use(call_id, opt_str(part, "name", here), resolve_all(part.get("arguments"), resolve))
            )
            outcome = part.get("error") or part.get("result")
            result.append(
                blocks.tool_result(
                    call_id, resolve(blocks.stringify(outcome)) if outcome is not None else "", bool(part.get("error"))
                )
            )
        elif kind in _MEDIA:
            result.append(blocks.placeholder(_MEDIA[kind], _media_detail(part)))
        elif isinstance(kind, str):
            result.append(blocks.placeholder(f"{kind} content omitted"))
        else:
            raise TranscriptError("content part has no 'type'", here)
    return result


def _reasoning_text(part: dict[str, Any], location: str, resolve: Resolver) -> str:
    if part.get("redacted"):
        summary = part.get("summary")
        return resolve(summary) if isinstance(summary, str) and summary else "[redacted reasoning]"
    return resolve(blocks.as_str(part.get("reasoning", ""), at(location, "reasoning")))


def _media_detail(part: dict[str, Any]) -> str:
    for key in ("filename", "mime_type", "format"):
        value = blocks.str_field(part, key)
        if value is not None:
            return value
    return ""


def message_key(message: Any) -> str:
    """Identity of a message for merging branches: its id, else its content."""
    message_id = blocks.str_field(message, "id")
    if message_id:
        return "id:" + message_id
    return "json:" + json.dumps(message, sort_keys=True, ensure_ascii=False)
