"""Last checks on a parsed interview, so nothing that would fail on save gets out:
at least one turn and some text, valid roles and parents, well-formed blocks, text PostgreSQL can
store (no NUL, no lone surrogates), JSON-serialisable extras."""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any

from .types import ROLES, ROOT, ParsedInterview, TranscriptError

_BLOCK_FIELDS: dict[str, dict[str, type | tuple[type, ...]]] = {
    "text": {"text": str},
    "thinking": {"text": str},
    "tool_use": {"id": str, "name": str},
    "tool_result": {"tool_use_id": str, "text": str, "is_error": bool},
}


def finalize(interview: ParsedInterview) -> ParsedInterview:
    if not interview.turns:
        raise TranscriptError("no turns found: the transcript is empty")
    for index, turn in enumerate(interview.turns):
        where = f"turns[{index}]"
        if turn.role not in ROLES:
            raise TranscriptError(f"invalid role {turn.role!r}", where)
        if turn.parent is not None and turn.parent != ROOT and not 0 <= turn.parent < index:
            raise TranscriptError(f"parent {turn.parent} does not precede the turn", where)
        if not turn.blocks:
            raise TranscriptError("turn has no content", where)
        for number, block in enumerate(turn.blocks):
            _check_block(block, f"{where}.blocks[{number}]")
    if not any(_says_something(block) for turn in interview.turns for block in turn.blocks):
        # Every format: a conversation of blank messages is no interview (plain text already found no turns).
        raise TranscriptError("every turn is empty: the transcript has no text")
    # A model or interviewer without a usable name is no information, not an identity.
    if interview.target_model is not None and not interview.target_model.name.strip():
        interview.target_model = None
    if interview.interviewer is not None and not interview.interviewer.name.strip():
        interview.interviewer = None
    if interview.conducted_at is not None and interview.conducted_at.tzinfo is None:
        interview.conducted_at = interview.conducted_at.replace(tzinfo=UTC)
    if not _storable([[turn.participant, turn.blocks] for turn in interview.turns]):
        for index, turn in enumerate(interview.turns):
            _check_storable([turn.participant, turn.blocks], f"turns[{index}]")
    for name in ("raw", "source_id", "title", "conditions", "topics", "sampling", "scores", "metadata"):
        _check_storable(getattr(interview, name), name)
    for model_field in ("target_model", "interviewer"):
        value = getattr(interview, model_field)
        if value is not None:
            _check_storable({k: v for k, v in vars(value).items() if isinstance(v, str)}, model_field)
    return interview


def _check_block(block: dict[str, Any], where: str) -> None:
    fields = _BLOCK_FIELDS.get(block.get("type", ""))
    if fields is None:
        raise TranscriptError(f"unknown block type {block.get('type')!r}", where)
    for key, kind in fields.items():
        if not isinstance(block.get(key), kind):
            raise TranscriptError(f"block field {key!r} has the wrong type", where)


def _says_something(block: dict[str, Any]) -> bool:
    return block.get("type") == "tool_use" or bool(str(block.get("text", "")).strip())


def _storable(value: Any) -> bool:
    """Fast whole-value check in C; `_check_storable` then finds the culprit if needed.
    A NUL character can only come from a JSON escape, so it shows up as one here."""
    try:
        encoded = json.dumps(value, ensure_ascii=False, allow_nan=False, default=_iso)
        encoded.encode("utf-8")
    except (TypeError, ValueError):  # UnicodeEncodeError is a ValueError
        return False
    return "\\u0000" not in encoded


def _check_storable(value: Any, where: str) -> None:
    if _storable(value):
        return
    try:
        json.dumps(value, allow_nan=False, default=_iso)
    except (TypeError, ValueError) as exc:
        raise TranscriptError(f"cannot be stored as JSON: {exc}", where) from None
    for text in _strings(value):
        if "\x00" in text:
            raise TranscriptError("contains a NUL character (U+0000), which cannot be stored", where)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise TranscriptError("contains an unpaired surrogate (invalid Unicode escape)", where) from None


def _strings(value: Any) -> list[str]:
    found: list[str] = []
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, (list, tuple)):
            pending.extend(item)
    return found


def _iso(value: Any) -> str:
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable")
