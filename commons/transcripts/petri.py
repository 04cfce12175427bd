"""Petri auditor transcripts (v3.0 JSON: `metadata` + `events`), as defined by the JSON
Schema in the npm package @kaifronsdal/transcript-viewer. We rebuild the *target's*
view by replaying its transcript events the way the viewer does, but keep rolled-back
branches as a tree instead of dropping them."""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonpatch
import jsonpointer

from . import blocks
from .blocks import as_dict, as_list, at, opt_str
from .inspect_messages import attachment_resolver, message_key, message_turn
from .types import InterviewerInfo, Limits, ParsedInterview, TranscriptError

TARGET_VIEW = "target"
_MAX_PATCHED_BYTES = Limits().max_bytes
_MAX_PATCH_WORK = 10 * _MAX_PATCHED_BYTES


def looks_like_petri(document: Any) -> bool:
    if not isinstance(document, dict) or not isinstance(document.get("metadata"), dict):
        return False
    metadata = document["metadata"]
    return isinstance(document.get("events"), list) or (
        metadata.get("version") == "v3.0" and "transcript_id" in metadata
    )


class _BranchingView:
    """Messages of one view as a tree: every message ever added is kept; `current`
    is the path the next edit applies to."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.locations: list[str] = []
        self.predecessors: list[int | None] = []
        self.current: list[int] = []
        self.patch_work = 0

    def add(self, message: dict[str, Any], location: str) -> None:
        self.messages.append(message)
        self.locations.append(location)
        self.predecessors.append(self.current[-1] if self.current else None)
        self.current.append(len(self.messages) - 1)

    def rollback(self, count: int, to_id: str | None) -> None:
        # Same rules as the viewer: to_id wins when found (keeping that message),
        # otherwise drop `count` messages from the end.
        keep = len(self.current)
        ids = [self.messages[i].get("id") for i in self.current]
        if to_id and to_id in ids:
            keep = ids.index(to_id) + 1
        elif count:
            keep = max(0, len(self.current) - count)
        self.current = self.current[:keep]

    def reset(self, new_messages: list[dict[str, Any]], location: str) -> None:
        self.current = []
        for i, message in enumerate(new_messages):
            self.add(message, at(location, f"[{i}]"))

    def patch(self, operations: list[Any], location: str) -> None:
        old = [self.messages[i] for i in self.current]
        self.patch_work += len(json.dumps(old))
        if self.patch_work > _MAX_PATCH_WORK:
            # Each edit re-reads the whole current view; many edits of a long view add up.
            raise TranscriptError("too many JSON patch edits of a long transcript", location)
        new = as_list(_apply_patch(old, operations, location), location)
        shared = 0
        while (
            shared < min(len(old), len(new))
            and message_key(old[shared]) == message_key(new[shared])
            and old[shared] == new[shared]
        ):
            shared += 1
        self.current = self.current[:shared]
        for i, message in enumerate(new[shared:], start=shared):
            self.add(as_dict(message, at(location, f"result[{i}]")), at(location, f"result[{i}]"))


def _apply_patch(document: list[Any], operations: list[Any], location: str) -> Any:
    """RFC 6902 via `jsonpatch`, one operation at a time so that "copy" (the only
    operation that can grow the document beyond the upload) is metered: a few dozen
    copies of the root into itself would otherwise need terabytes."""
    size = len(json.dumps(document))
    result: Any = copy.deepcopy(document)
    for i, operation in enumerate(operations):
        here = at(location, f"[{i}]")
        try:
            if isinstance(operation, dict) and operation.get("op") == "copy":
                source = jsonpointer.resolve_pointer(result, blocks.as_str(operation.get("from"), at(here, "from")))
                size += len(json.dumps(source))
                if size > _MAX_PATCHED_BYTES:
                    raise TranscriptError(f"JSON patch grows the transcript beyond {_MAX_PATCHED_BYTES:,} bytes", here)
            result = jsonpatch.JsonPatch([operation]).apply(result, in_place=True)
        except (
            jsonpatch.JsonPatchException,
            jsonpointer.JsonPointerException,
            TypeError,
            ValueError,
            KeyError,
            AttributeError,
        ) as exc:
            raise TranscriptError(f"JSON patch does not apply: {exc}", here) from None
    return result


def parse_petri(document: Any, raw: str, location: str = "") -> ParsedInterview:
    document = as_dict(document, location)
    metadata = as_dict(document.get("metadata"), at(location, "metadata"))
    here = at(location, "metadata")
    target_id = opt_str(metadata, "target_model", here)
    auditor_id = opt_str(metadata, "auditor_model", here)
    view = _BranchingView()
    target_tools: list[str] = []
    events = as_list(document.get("events", []), at(location, "events"))
    for index, event in _ordered(events, at(location, "events")):
        event_location = at(location, f"events[{index}]")
        kind = event.get("type")
        if kind == "tool_creation_event" and event.get("model") == TARGET_VIEW:
            tool = event.get("tool")
            if isinstance(tool, dict) and isinstance(tool.get("name"), str):
                target_tools.append(tool["name"])
        if kind == "transcript_event" and _applies_to_target(event.get("view")):
            _apply(view, as_dict(event.get("edit"), at(event_location, "edit")), at(event_location, "edit"))

    target = blocks.model_from_id(target_id) if target_id else None
    labels = {"system": "system", "user": "auditor", "assistant": target.name if target else "target"}
    resolve = attachment_resolver(None)
    turns = [
        message_turn(message, where, labels, resolve)
        for message, where in zip(view.messages, view.locations, strict=True)
    ]
    for turn, parent in zip(turns, blocks.chain_parents(view.predecessors), strict=True):
        turn.parent = parent

    extra: dict[str, Any] = {
        key: metadata[key]
        for key in ("transcript_id", "auditor_model", "target_model", "updated_at", "description", "version")
        if metadata.get(key) is not None
    }
    if any(turn.parent is not None for turn in turns):
        extra["final_branch"] = list(view.current)
    if target_tools:
        extra["target_tools"] = target_tools
    tags = metadata.get("tags")
    return ParsedInterview(
        format="petri",
        turns=turns,
        raw=raw,
        source_id=opt_str(metadata, "transcript_id", here),
        target_model=target,
        interviewer=InterviewerInfo(name=blocks.model_from_id(auditor_id).api_id, kind="model") if auditor_id else None,
        topics=[tag for tag in tags if isinstance(tag, str)] if isinstance(tags, list) else [],
        conducted_at=blocks.parse_timestamp(metadata.get("created_at"), at(here, "created_at")),
        scores=_judge_scores(metadata.get("judge_output"), at(here, "judge_output")),
        metadata=extra,
    )


def _ordered(events: list[Any], location: str) -> list[tuple[int, dict[str, Any]]]:
    indexed = [(i, as_dict(event, at(location, f"[{i}]"))) for i, event in enumerate(events)]
    # The viewer replays in timestamp order; only safe to sort when every event has one.
    stamps = [event.get("timestamp") for _, event in indexed]
    if stamps and all(isinstance(stamp, str) for stamp in stamps):
        times = [blocks.parse_timestamp(stamp, at(location, f"[{i}].timestamp")) for i, stamp in enumerate(stamps)]
        known = [time for time in times if time is not None]  # an empty string is no timestamp
        if len(known) == len(times):
            order = sorted(range(len(indexed)), key=lambda i: known[i])
            return [indexed[i] for i in order]
    return indexed


def _applies_to_target(view: Any) -> bool:
    return view == TARGET_VIEW or (isinstance(view, list) and TARGET_VIEW in view)


def _apply(view: _BranchingView, edit: dict[str, Any], location: str) -> None:
    operation = edit.get("operation", "add" if "message" in edit else None)
    if operation == "add":
        view.add(as_dict(edit.get("message"), at(location, "message")), at(location, "message"))
    elif operation == "rollback":
        count = edit.get("count", 0)
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise TranscriptError("rollback count must be a non-negative integer", at(location, "count"))
        to_id = edit.get("to_id")
        view.rollback(count, to_id if isinstance(to_id, str) else None)
    elif operation == "reset":
        messages = as_list(edit.get("new_messages", []), at(location, "new_messages"))
        view.reset(
            [as_dict(m, at(location, f"new_messages[{i}]")) for i, m in enumerate(messages)],
            at(location, "new_messages"),
        )
    elif operation == "json_patch":
        view.patch(as_list(edit.get("patch"), at(location, "patch")), at(location, "patch"))
    else:
        raise TranscriptError(
            f"unknown edit operation {operation!r} (expected add, rollback, reset or json_patch)",
            at(location, "operation"),
        )


def _judge_scores(judge: Any, location: str) -> dict[str, Any]:
    if judge is None:
        return {}
    judge = as_dict(judge, location)
    extra = {key: judge[key] for key in ("summary", "response", "score_descriptions") if judge.get(key) is not None}
    entry: dict[str, Any] = {"value": as_dict(judge.get("scores", {}), at(location, "scores"))}
    if judge.get("justification"):
        entry["explanation"] = judge["justification"]
    entry["metadata"] = extra
    return {"alignment_judge": entry}
