"""Which format a decoded JSON document is in, judged by its shape."""

from __future__ import annotations

from typing import Any

from .anthropic import ANTHROPIC_BLOCK_TYPES
from .blocks import json_type
from .inspect_log import looks_like_inspect_log
from .petri import looks_like_petri
from .still_alive import looks_like_still_alive
from .types import TranscriptError

EXPECTED_SHAPES = (
    "'messages' (OpenAI or Anthropic chat), 'conversations' (ShareGPT), "
    "'metadata' + 'events' (Petri), 'eval' + 'samples' (Inspect log), "
    "'config' + 'turns' (Still Alive session)"
)


def json_format(document: dict[str, Any]) -> str | None:
    if looks_like_petri(document):
        return "petri"
    if looks_like_inspect_log(document):
        return "inspect"
    if looks_like_still_alive(document):
        return "still_alive"
    if isinstance(document.get("conversations"), list):
        return "sharegpt"
    if isinstance(document.get("messages"), list):
        if "system" in document or is_anthropic_messages(document["messages"]):
            return "anthropic"
        return "openai"
    request, response = document.get("request"), document.get("response")
    if isinstance(request, dict) and isinstance(response, dict) and isinstance(request.get("messages"), list):
        if isinstance(response.get("choices"), list):
            return "openai"
        if response.get("type") == "message" or isinstance(response.get("content"), list):
            return "anthropic"
    return None


def require_json_format(document: Any, location: str = "") -> str:
    found = json_format(document) if isinstance(document, dict) else None
    if found is None:
        raise TranscriptError(
            f"unrecognised JSON transcript: expected one of {EXPECTED_SHAPES} ({_found(document)})", location
        )
    return found


def is_message(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("role"), str) and "messages" not in value


def is_sharegpt_entry(value: Any) -> bool:
    return isinstance(value, dict) and "from" in value and "value" in value


def is_anthropic_messages(messages: list[Any]) -> bool:
    for message in messages:
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, list):
            continue
        for block in content:
            if not isinstance(block, dict):
                continue
            kind = block.get("type") if isinstance(block.get("type"), str) else None
            if kind in ANTHROPIC_BLOCK_TYPES or (kind == "image" and "source" in block):
                return True
    return False


def message_list_format(messages: list[Any]) -> str:
    return "anthropic" if is_anthropic_messages(messages) else "openai"


def _found(document: Any) -> str:
    if isinstance(document, dict):
        keys = sorted(str(key) for key in document)[:12]
        return f"found keys: {', '.join(keys) if keys else 'none'}"
    return f"found {json_type(document)}"
