"""OpenAI chat format: `{"messages": [...]}`, a bare list of messages, or a saved
request/response pair; content as a string or a list of parts."""

from __future__ import annotations

from typing import Any

from . import blocks
from .blocks import Block, as_dict, as_list, at, opt_str
from .types import ParsedInterview, ParsedTurn, TranscriptError

_ROLES = {
    "system": "system",
    "developer": "system",
    "user": "interviewer",
    "assistant": "target",
    "tool": "tool",
    "function": "tool",
}
SAMPLING_KEYS = (
    "temperature",
    "top_p",
    "top_k",
    "max_tokens",
    "max_completion_tokens",
    "max_output_tokens",
    "frequency_penalty",
    "presence_penalty",
    "seed",
    "n",
    "stop",
    "stop_sequences",
    "reasoning_effort",
)
_TEXT_PARTS = {"text", "input_text", "output_text"}
_MEDIA_PARTS = {
    "image_url": "image",
    "input_image": "image",
    "image": "image",
    "input_audio": "audio",
    "audio": "audio",
    "file": "file",
    "input_file": "file",
}


def parse_openai(document: Any, raw: str, location: str = "") -> ParsedInterview:
    if isinstance(document, list):
        return ParsedInterview(format="openai", turns=openai_turns(document, location), raw=raw)
    document = as_dict(document, location)
    response = None
    if "messages" not in document and isinstance(document.get("request"), dict):
        request, response = document["request"], as_dict(document.get("response"), at(location, "response"))
        messages = request.get("messages")
        settings: dict[str, Any] = request
        prefix = at(location, "request")
    else:
        messages = document.get("messages")
        settings = document
        prefix = location
    if messages is None:
        raise TranscriptError("missing 'messages'", prefix)
    turns = openai_turns(as_list(messages, at(prefix, "messages")), at(prefix, "messages"))
    if response is not None:
        turns.extend(_response_turns(response, at(location, "response")))
    model = opt_str(settings, "model", prefix) or (opt_str(response, "model", "response") if response else "")
    interview = ParsedInterview(
        format="openai",
        turns=turns,
        raw=raw,
        source_id=opt_str(document, "id", location),
        title=opt_str(document, "title", location),
        target_model=blocks.model_from_id(model) if model else None,
        sampling={key: settings[key] for key in SAMPLING_KEYS if settings.get(key) is not None},
    )
    if isinstance(document.get("metadata"), dict):
        interview.metadata["source_metadata"] = document["metadata"]
    return interview


def _response_turns(response: dict[str, Any], location: str) -> list[ParsedTurn]:
    choices = as_list(response.get("choices"), at(location, "choices"))
    if not choices:
        return []
    choice = as_dict(choices[0], at(location, "choices[0]"))
    message = as_dict(choice.get("message"), at(location, "choices[0].message"))
    return [openai_message_turn(message, at(location, "choices[0].message"))]


def openai_turns(messages: list[Any], location: str) -> list[ParsedTurn]:
    return [
        openai_message_turn(as_dict(message, at(location, f"[{i}]")), at(location, f"[{i}]"))
        for i, message in enumerate(messages)
    ]


def openai_message_turn(message: dict[str, Any], location: str) -> ParsedTurn:
    role_name = message.get("role")
    if not isinstance(role_name, str) or role_name not in _ROLES:
        raise TranscriptError(f"unknown role {role_name!r} (expected one of {', '.join(_ROLES)})", at(location, "role"))
    role = _ROLES[role_name]
    participant = opt_str(message, "name", location) or role_name
    content: list[Block] = []
    reasoning = message.get("reasoning_content") or message.get("reasoning")
    if isinstance(reasoning, str) and reasoning:
        content.append(blocks.thinking(reasoning))
    parts = content_blocks(message.get("content"), at(location, "content"))
    if role == "tool":
        tool_id = opt_str(message, "tool_call_id", location) or opt_str(message, "name", location)
        result_text = "\n".join(b["text"] for b in parts if b["type"] == "text")
        content.append(blocks.tool_result(tool_id, result_text))
        participant = opt_str(message, "name", location) or "tool"
    else:
        content.extend(parts)
    for i, call in enumerate(as_list(message.get("tool_calls") or [], at(location, "tool_calls"))):
        content.append(_tool_call(as_dict(call, at(location, f"tool_calls[{i}]")), at(location, f"tool_calls[{i}]")))
    if isinstance(message.get("function_call"), dict):
        content.append(_tool_call({"function": message["function_call"]}, at(location, "function_call")))
    return blocks.turn(role, participant, content)


def _tool_call(call: dict[str, Any], location: str) -> Block:
    function = as_dict(call.get("function"), at(location, "function"))
    name = opt_str(function, "name", at(location, "function"))
    return blocks.tool_use(opt_str(call, "id", location), name, blocks.parse_json_arguments(function.get("arguments")))


def content_blocks(content: Any, location: str) -> list[Block]:
    if content is None:
        return []
    if isinstance(content, str):
        return [blocks.text(content)]
    result: list[Block] = []
    for i, part in enumerate(as_list(content, location)):
        if isinstance(part, str):
            result.append(blocks.text(part))
            continue
        part = as_dict(part, at(location, f"[{i}]"))
        kind = part.get("type") if isinstance(part.get("type"), str) else None
        if kind in _TEXT_PARTS:
            result.append(blocks.text(blocks.as_str(part.get("text"), at(location, f"[{i}].text"))))
        elif kind == "refusal":
            result.append(blocks.text(opt_str(part, "refusal", at(location, f"[{i}]"))))
        elif kind in _MEDIA_PARTS:
            result.append(blocks.placeholder(_MEDIA_PARTS[kind], _file_name(part)))
        else:
            result.append(
                blocks.placeholder(f"{kind} content omitted" if isinstance(kind, str) else "unknown content omitted")
            )
    return result


def _file_name(part: dict[str, Any]) -> str:
    return blocks.str_field(part.get("file"), "filename") or blocks.str_field(part, "filename") or ""
