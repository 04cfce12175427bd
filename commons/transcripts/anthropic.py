"""Anthropic Messages API: `system` plus `messages` with content blocks, or a saved
request/response pair."""

from __future__ import annotations

from typing import Any

from . import blocks
from .blocks import Block, as_dict, as_list, at, opt_str
from .openai import SAMPLING_KEYS
from .types import ParsedInterview, ParsedTurn, TranscriptError

_ROLES = {"user": "interviewer", "assistant": "target"}
_MEDIA = {"image": "image", "document": "document", "file": "file", "audio": "audio"}
# Block types only the Anthropic format has; used to tell it from OpenAI's.
ANTHROPIC_BLOCK_TYPES = {
    "thinking",
    "redacted_thinking",
    "tool_use",
    "tool_result",
    "server_tool_use",
    "web_search_tool_result",
    "document",
}


def parse_anthropic(document: Any, raw: str, location: str = "") -> ParsedInterview:
    if isinstance(document, list):
        return ParsedInterview(format="anthropic", turns=anthropic_turns(document, location), raw=raw)
    document = as_dict(document, location)
    response = None
    request = document
    prefix = location
    if "messages" not in document and isinstance(document.get("request"), dict):
        request, prefix = document["request"], at(location, "request")
        response = as_dict(document.get("response"), at(location, "response"))
    if "messages" not in request:
        raise TranscriptError("missing 'messages'", prefix)
    turns: list[ParsedTurn] = []
    system = request.get("system")
    if system:
        system_blocks = _content(system, at(prefix, "system"))
        turns.append(blocks.turn("system", "system", system_blocks))
    turns.extend(anthropic_turns(as_list(request["messages"], at(prefix, "messages")), at(prefix, "messages")))
    if response is not None:
        turns.append(_message_turn(response, at(location, "response"), default_role="assistant"))
    model = opt_str(request, "model", prefix) or (opt_str(response, "model", "response") if response else "")
    interview = ParsedInterview(
        format="anthropic",
        turns=turns,
        raw=raw,
        source_id=opt_str(response or document, "id", location),
        title=opt_str(document, "title", location),
        target_model=blocks.model_from_id(model) if model else None,
        sampling={key: request[key] for key in SAMPLING_KEYS if request.get(key) is not None},
    )
    if isinstance(request.get("thinking"), dict):
        interview.sampling["thinking"] = request["thinking"]
    if isinstance(request.get("metadata"), dict):
        interview.metadata["source_metadata"] = request["metadata"]
    if response is not None:
        for key in ("stop_reason", "usage"):
            if response.get(key) is not None:
                interview.metadata[key] = response[key]
    return interview


def anthropic_turns(messages: list[Any], location: str) -> list[ParsedTurn]:
    return [
        _message_turn(as_dict(message, at(location, f"[{i}]")), at(location, f"[{i}]"))
        for i, message in enumerate(messages)
    ]


def _message_turn(message: dict[str, Any], location: str, default_role: str = "") -> ParsedTurn:
    role_name = message.get("role", default_role) or default_role
    if not isinstance(role_name, str) or role_name not in _ROLES:
        raise TranscriptError(f"unknown role {role_name!r} (expected 'user' or 'assistant')", at(location, "role"))
    content = _content(message.get("content"), at(location, "content"))
    if role_name == "user" and content and all(b["type"] == "tool_result" for b in content):
        return blocks.turn("tool", "tool", content)
    return blocks.turn(_ROLES[role_name], role_name, content)


def _content(content: Any, location: str) -> list[Block]:
    if content is None:
        return []
    if isinstance(content, str):
        return [blocks.text(content)]
    return [
        _block(as_dict(block, at(location, f"[{i}]")), at(location, f"[{i}]"))
        for i, block in enumerate(as_list(content, location))
    ]


def _block(block: dict[str, Any], location: str) -> Block:
    kind = block.get("type") if isinstance(block.get("type"), str) else None
    if kind == "text":
        return blocks.text(blocks.as_str(block.get("text"), at(location, "text")))
    if kind == "thinking":
        return blocks.thinking(blocks.as_str(block.get("thinking"), at(location, "thinking")))
    if kind == "redacted_thinking":
        return blocks.thinking("[redacted thinking]")
    if kind in ("tool_use", "server_tool_use"):
        return blocks.tool_use(opt_str(block, "id", location), opt_str(block, "name", location), block.get("input", {}))
    if kind == "tool_result" or (isinstance(kind, str) and kind.endswith("_tool_result")):
        return blocks.tool_result(
            opt_str(block, "tool_use_id", location),
            _result_text(block.get("content"), at(location, "content")),
            bool(block.get("is_error", False)),
        )
    if kind in _MEDIA:
        source = block.get("source")
        detail = source.get("media_type", "") if isinstance(source, dict) else ""
        return blocks.placeholder(_MEDIA[kind], detail if isinstance(detail, str) else "")
    if not isinstance(kind, str):
        raise TranscriptError("content block has no 'type'", location)
    return blocks.placeholder(f"{kind} content omitted")


def _result_text(content: Any, location: str) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = _content(content, location)
        return "\n".join(part["text"] for part in parts if "text" in part)
    return blocks.stringify(content)
