"""From uploaded bytes to item outcomes: archives expanded, JSONL split by line, Inspect
logs split by sample, JSON arrays of records split by record. `parse` (strict) and
`parse_items` (bulk) both walk this, differing only in what they do with an error."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from . import jsondoc
from .anthropic import parse_anthropic
from .archive import Budget, ZipArchive, base_name, is_zip
from .blocks import json_type
from .decoding import check_size, decode_text
from .detect import (
    is_message,
    is_sharegpt_entry,
    message_list_format,
    require_json_format,
)
from .finalize import finalize
from .inspect_log import looks_like_eval_archive, parse_eval_archive, parse_inspect_log
from .openai import parse_openai
from .petri import parse_petri
from .plain import parse_plain, parse_single_document
from .sharegpt import parse_sharegpt
from .still_alive import parse_still_alive
from .types import ItemOutcome, Limits, ParsedInterview, TranscriptError, join_location

DocumentParser = Callable[[Any, str, str], ParsedInterview]
JSON_PARSERS: dict[str, DocumentParser] = {
    "openai": parse_openai,
    "anthropic": parse_anthropic,
    "sharegpt": parse_sharegpt,
    "petri": parse_petri,
    "still_alive": parse_still_alive,
}
# The Still Alive corpus keeps its own roll-ups beside the sessions.
KNOWN_NON_TRANSCRIPTS = {
    "all_results.json": "Still Alive roll-up of the sessions in this folder (duplicates them)",
    "analysis.json": "Still Alive per-session analysis, not a transcript",
    "role-dropout-classification.json": "Still Alive role-dropout classification, not a transcript",
}
_JSONL_SUFFIXES = (".jsonl", ".ndjson")
_ARCHIVE_SUFFIXES = (".zip", ".eval")
_MAX_NESTING = 1


def iter_items(
    data: bytes,
    *,
    location: str,
    filename: str,
    fmt: str | None,
    limits: Limits,
    depth: int = 0,
    budget: Budget | None = None,
) -> Iterator[ItemOutcome]:
    """Outcomes of every item in `data`. Raises TranscriptError for a problem with the
    file as a whole (size, encoding, malformed JSON, unreadable archive)."""
    check_size(data, limits, location)
    if is_zip(data):
        yield from _archive_items(data, location, fmt, limits, depth, budget)
        return
    text = decode_text(data, location)
    yield from _text_items(text, location, filename, fmt, limits)


def skip_reason(name: str) -> str:
    parts = name.split("/")
    if parts[0] == "__MACOSX":
        return "macOS resource fork (__MACOSX/)"
    if any(part.startswith(".") and part not in (".", "..") for part in parts):
        return "hidden file"
    return KNOWN_NON_TRANSCRIPTS.get(base_name(name), "")


def _archive_items(
    data: bytes, location: str, fmt: str | None, limits: Limits, depth: int, budget: Budget | None
) -> Iterator[ItemOutcome]:
    archive = ZipArchive.open(data, location, limits, budget)
    if fmt in (None, "inspect") and looks_like_eval_archive(archive):
        for where, result in parse_eval_archive(archive, limits):
            yield _outcome(where, partial(_raise_or_return, result))
        return
    files = archive.files()
    if not files:
        raise TranscriptError("archive contains no files", location)
    for entry in files:
        where = archive.entry_location(entry.filename)
        reason = skip_reason(entry.filename)
        if reason:
            yield ItemOutcome(where, None, None, skipped=reason)
            continue
        try:
            content = archive.read(entry)
            if is_zip(content) or entry.filename.lower().endswith(_ARCHIVE_SUFFIXES):
                if depth + 1 > _MAX_NESTING:
                    raise TranscriptError("archive nested more than one level deep", where)
                if not is_zip(content):
                    raise TranscriptError("not a zip archive despite its name", where)
            yield from iter_items(
                content,
                location=where,
                filename=entry.filename,
                fmt=fmt,
                limits=limits,
                depth=depth + 1,
                budget=archive.budget,
            )
        except TranscriptError as exc:
            if exc.location.startswith(where):
                yield ItemOutcome(where, None, exc)
            else:
                yield ItemOutcome(where, None, exc.within(where))


def _text_items(text: str, location: str, filename: str, fmt: str | None, limits: Limits) -> Iterator[ItemOutcome]:
    if fmt == "single_document":
        yield _outcome(location, partial(parse_single_document, text))
        return
    stripped = text.lstrip()
    looks_json = stripped.startswith(("{", "["))
    if fmt == "plain" or (fmt is None and not looks_json):
        yield _outcome(location, partial(parse_plain, text))
        return
    if filename.lower().endswith(_JSONL_SUFFIXES) or jsondoc.looks_like_jsonl(text):
        yield from _jsonl_items(text, location, fmt, limits)
        return
    try:
        document = jsondoc.loads(text, limits.max_json_depth, location)
    except TranscriptError:
        # "[Transcript]\nHuman: ..." starts like a JSON array but is plain text.
        if fmt is None and stripped.startswith("[") and _has_speakers(text):
            yield _outcome(location, partial(parse_plain, text))
            return
        raise
    yield from _document_items(document, text, location, fmt)


def _has_speakers(text: str) -> bool:
    try:
        parse_plain(text)
    except TranscriptError:
        return False
    return True


def _document_items(document: Any, text: str, location: str, fmt: str | None) -> Iterator[ItemOutcome]:
    if isinstance(document, list):
        yield from _list_items(document, text, location, fmt)
        return
    chosen = fmt or require_json_format(document, location)
    if chosen == "inspect":
        for where, result in parse_inspect_log(_as_object(document, location), text, location):
            yield _outcome(where, partial(_raise_or_return, result))
        return
    yield _outcome(location, partial(_parse_json, chosen, document, text))


def _list_items(items: list[Any], text: str, location: str, fmt: str | None) -> Iterator[ItemOutcome]:
    if not items:
        raise TranscriptError("the transcript is empty (an empty JSON array)", location)
    if fmt in (None, "openai", "anthropic") and all(is_message(item) for item in items):
        chosen = fmt or message_list_format(items)
        yield _outcome(location, partial(_parse_json, chosen, items, text))
        return
    if fmt in (None, "sharegpt") and all(is_sharegpt_entry(item) for item in items):
        yield _outcome(location, partial(_parse_json, "sharegpt", items, text))
        return
    for i, (item, raw) in enumerate(zip(items, jsondoc.iter_spans_or_dumps(text, items), strict=True)):
        where = join_location(location, f"[{i}]")
        yield _outcome(where, partial(_parse_detected, fmt, item, raw))


def _jsonl_items(text: str, location: str, fmt: str | None, limits: Limits) -> Iterator[ItemOutcome]:
    lines = jsondoc.jsonl_lines(text)
    if not lines:
        raise TranscriptError("the transcript is empty", location)
    parsed: list[tuple[str, Any]] = []
    errors: dict[int, TranscriptError] = {}
    for i, line in enumerate(lines):
        where = join_location(location, f"line {line.number}")
        try:
            parsed.append((where, jsondoc.loads(line.text, limits.max_json_depth, location, first_line=line.number)))
        except TranscriptError as exc:
            errors[i] = exc
            parsed.append((where, None))
    values = [value for i, (_, value) in enumerate(parsed) if i not in errors]
    if values and all(is_message(value) for value in values) and fmt != "inspect":
        # One message per line: the whole file is one conversation.
        if errors:
            raise next(iter(errors.values()))
        chosen = fmt or message_list_format(values)
        yield _outcome(location, partial(_parse_json, chosen, values, text))
        return
    for i, (where, value) in enumerate(parsed):
        if i in errors:
            yield ItemOutcome(where, None, errors[i])
            continue
        raw = lines[i].text
        if is_message(value):
            yield ItemOutcome(
                where,
                None,
                TranscriptError(
                    "a single chat message, but other lines are whole conversations: use one "
                    "conversation per line, or one message per line throughout",
                    where,
                ),
            )
        elif (fmt or _format_or_none(value)) == "inspect":
            for sample_where, result in parse_inspect_log(_as_object(value, where), raw, where):
                yield _outcome(sample_where, partial(_raise_or_return, result))
        else:
            yield _outcome(where, partial(_parse_detected, fmt, value, raw))


def _format_or_none(value: Any) -> str | None:
    try:
        return require_json_format(value)
    except TranscriptError:
        return None


def _parse_json(chosen: str, document: Any, raw: str) -> ParsedInterview:
    parser = JSON_PARSERS.get(chosen)
    if parser is None:
        raise TranscriptError(f"format {chosen!r} cannot be read from this JSON document")
    return parser(document, raw, "")


def _parse_detected(fmt: str | None, document: Any, raw: str) -> ParsedInterview:
    return _parse_json(fmt or require_json_format(document), document, raw)


def _as_object(document: Any, location: str) -> dict[str, Any]:
    if not isinstance(document, dict):
        raise TranscriptError(f"expected an Inspect log object, found {json_type(document)}", location)
    return document


def _raise_or_return(result: ParsedInterview | TranscriptError) -> ParsedInterview:
    if isinstance(result, TranscriptError):
        raise result
    return result


def _outcome(location: str, build: Callable[[], ParsedInterview]) -> ItemOutcome:
    try:
        return ItemOutcome(location, finalize(build()), None)
    except TranscriptError as exc:
        return ItemOutcome(
            location, None, exc if exc.location.startswith(location) and location else exc.within(location)
        )
