"""JSON and JSONL loading with bounded depth and located errors."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from .types import TranscriptError

# A JSON string, unrolled so long strings cost one regex step, not one per character.
# An unterminated string runs to the end of the text: a pattern that could fail would
# be retried from every later quote, which is quadratic on hostile input.
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\Z)', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_DECODER = json.JSONDecoder()


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def check_depth(text: str, max_depth: int, location: str = "") -> None:
    """Refuse documents nested deeper than `max_depth` before json.loads sees them,
    so a 100,000-deep document fails here instead of with RecursionError."""
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    if len(brackets) <= max_depth:
        return
    depth = max(accumulate(1 if c in "[{" else -1 for c in brackets), default=0)
    if depth > max_depth:
        raise TranscriptError(f"JSON is nested deeper than {max_depth} levels", location)


def loads(text: str, max_depth: int, location: str = "", first_line: int = 1) -> Any:
    """Parse one JSON document; errors name the line and column (counting from
    `first_line`, for documents that are one line of a larger file)."""
    check_depth(text, max_depth, location)
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        line = exc.lineno + first_line - 1
        raise TranscriptError(
            f"invalid JSON: {exc.msg} (line {line}, column {exc.colno})",
            _line_location(location, line, exc.colno),
        ) from None
    except (ValueError, RecursionError) as exc:
        raise TranscriptError(f"invalid JSON: {exc}", location) from None


def _line_location(location: str, line: int, column: int) -> str:
    here = f"line {line} column {column}"
    return f"{location} {here}" if location else here


@dataclass
class JsonLine:
    number: int
    text: str


def jsonl_lines(text: str) -> list[JsonLine]:
    """Non-blank lines of a JSONL document with their 1-based line numbers."""
    return [JsonLine(number, line) for number, line in enumerate(text.splitlines(), start=1) if line.strip()]


def looks_like_jsonl(text: str) -> bool:
    """Several lines, each a complete JSON object: the signature of JSONL."""
    lines = jsonl_lines(text)
    if len(lines) < 2 or not all(line.text.lstrip().startswith("{") for line in lines[:2]):
        return False
    first = lines[0].text.strip()
    try:
        value, end = _DECODER.raw_decode(first)
    except ValueError:
        return False
    return isinstance(value, dict) and end == len(first)


def array_item_spans(text: str, start: int = 0) -> list[str]:
    """Verbatim text of each element of the JSON array that begins at `start`
    (after whitespace). Call only on text already known to be valid JSON."""
    index = _skip_space(text, start)
    if text[index] != "[":
        raise ValueError("not an array")
    index = _skip_space(text, index + 1)
    spans: list[str] = []
    if text[index] == "]":
        return spans
    while True:
        _, end = _DECODER.raw_decode(text, index)
        spans.append(text[index:end])
        index = _skip_space(text, end)
        if text[index] == "]":
            return spans
        index = _skip_space(text, index + 1)  # past the comma


def member_value_start(text: str, key: str) -> int | None:
    """Offset where the value of top-level member `key` of the JSON object in `text`
    begins, or None. Call only on text already known to be valid JSON."""
    index = _skip_space(text, 0)
    if text[index] != "{":
        return None
    index = _skip_space(text, index + 1)
    while text[index] != "}":
        name, index = _DECODER.raw_decode(text, index)
        index = _skip_space(text, index)
        index = _skip_space(text, index + 1)  # past the colon
        if name == key:
            return index
        _, index = _DECODER.raw_decode(text, index)
        index = _skip_space(text, index)
        if text[index] == ",":
            index = _skip_space(text, index + 1)
    return None


_SPACE = re.compile(r"[ \t\n\r]*")


def _skip_space(text: str, index: int) -> int:
    match = _SPACE.match(text, index)
    return match.end() if match else index


def iter_spans_or_dumps(text: str, items: list[Any], key: str | None = None) -> Iterator[str]:
    """Verbatim text of each item of a top-level array (or of the array under `key`),
    falling back to re-serialising an item if the spans cannot be recovered."""
    try:
        start = 0 if key is None else member_value_start(text, key)
        spans = array_item_spans(text, start) if start is not None else []
    except (ValueError, IndexError):
        spans = []
    if len(spans) != len(items):
        spans = [json.dumps(item, ensure_ascii=False) for item in items]
    yield from spans
