"""Transcript parsing: every supported format to the same ordered turns.

Pure Python (no Django). `parse` is strict, for one submission; `parse_items` is
lenient, for bulk import, and reports each item's fate separately.
"""

from __future__ import annotations

from collections.abc import Iterator

from .items import iter_items, skip_reason
from .types import (
    ROLES,
    ROOT,
    InterviewerInfo,
    ItemOutcome,
    Limits,
    ModelInfo,
    ParsedInterview,
    ParsedTurn,
    TranscriptError,
)

FORMATS: dict[str, str] = {
    "plain": "Plain text or Markdown with speaker prefixes: Human:/Assistant:, User:/AI:, Interviewer:/a model name.",
    "single_document": "Completion-style text kept whole as one reply from the model.",
    "openai": "OpenAI chat JSON or JSONL: messages with role and content (string or parts), tool calls and results.",
    "anthropic": "Anthropic Messages API JSON: system plus messages with text, thinking, tool_use, tool_result blocks.",
    "sharegpt": "ShareGPT JSON or JSONL: conversations of {from, value}; a list of records is several interviews.",
    "petri": "Petri auditor transcript JSON (v3.0, metadata + events): the target's view, rollbacks kept as branches.",
    "inspect": "Inspect (inspect_ai) eval log, .json or .eval: one interview per sample, Petri-on-Inspect included.",
    "still_alive": "Still Alive session JSON (config + turns): target model, auditor, tone and disclosure depth.",
}

__all__ = [
    "FORMATS",
    "ROLES",
    "ROOT",
    "InterviewerInfo",
    "ItemOutcome",
    "Limits",
    "ModelInfo",
    "ParsedInterview",
    "ParsedTurn",
    "TranscriptError",
    "parse",
    "parse_items",
]


def parse(
    data: bytes, *, filename: str = "", fmt: str | None = None, limits: Limits = Limits()
) -> list[ParsedInterview]:
    """Every interview in `data`, or TranscriptError (with a location) for the first
    problem found: one bad item rejects the whole submission."""
    if fmt is not None and fmt not in FORMATS:
        raise TranscriptError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}", "fmt")
    interviews: list[ParsedInterview] = []
    for outcome in _guarded(data, filename, fmt, limits, location=filename):
        if outcome.error is not None:
            raise outcome.error
        if outcome.interview is not None:
            interviews.append(outcome.interview)
    if not interviews:
        raise TranscriptError("no transcripts found", filename)
    return interviews


def parse_items(data: bytes, *, filename: str = "", limits: Limits = Limits()) -> Iterator[ItemOutcome]:
    """One outcome per item (archive entry, JSONL line, Inspect sample, ...); an error in
    one never stops the others. Known non-transcripts come back as skipped."""
    location = filename or "input"
    reason = skip_reason(filename.replace("\\", "/")) if filename else ""
    if reason:
        yield ItemOutcome(location, None, None, skipped=reason)
        return
    try:
        yield from _guarded(data, filename, None, limits, location=location)
    except TranscriptError as exc:
        yield ItemOutcome(location, None, exc)


def _guarded(data: bytes, filename: str, fmt: str | None, limits: Limits, *, location: str) -> Iterator[ItemOutcome]:
    """`iter_items`, with resource exhaustion reported as a TranscriptError too: the
    limits make it unlikely, but a caller must only ever have to handle TranscriptError."""
    try:
        yield from iter_items(data, location=location, filename=filename, fmt=fmt, limits=limits)
    except (RecursionError, MemoryError) as exc:
        raise TranscriptError(f"transcript too complex to parse ({type(exc).__name__})", location) from None
