"""The shapes every transcript format is parsed into.

Pure Python: nothing here (or anywhere in this package) imports Django.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

ROLES = ("system", "interviewer", "target", "tool")

ROOT = -1
"""`ParsedTurn.parent` value for a turn that starts a conversation over from nothing
(a Petri "restart"/reset after earlier turns): it has no predecessor at all, which
`None` ("the previous turn") cannot say. Only ever used on a turn at index > 0."""


@dataclass
class ParsedTurn:
    """One message. `role` is what the speaker is in the interview, `participant` the
    label the source gave it. `parent` is the index (into the same turns list) of the
    turn this one follows; `None` means the previous turn, `ROOT` means none."""

    role: str
    participant: str
    blocks: list[dict[str, Any]]
    parent: int | None = None


@dataclass
class ModelInfo:
    name: str
    api_id: str = ""
    provider: str = ""
    family: str = ""
    retired: bool | None = None
    release_date: date | None = None


@dataclass
class InterviewerInfo:
    name: str
    kind: str = "model"  # "human" | "model"
    stance: str = ""


@dataclass
class ParsedInterview:
    """One interview. `scores` maps a scorer/judge name to a JSON object with at least
    "value" (number, label, or dict of dimension -> value) and optionally
    "explanation", "answer" and "metadata"."""

    format: str
    turns: list[ParsedTurn]
    raw: str
    source_id: str = ""
    title: str = ""
    target_model: ModelInfo | None = None
    interviewer: InterviewerInfo | None = None
    conditions: dict[str, str] = field(default_factory=dict)
    topics: list[str] = field(default_factory=list)
    conducted_at: datetime | None = None
    sampling: dict[str, Any] = field(default_factory=dict)
    scores: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)


class TranscriptError(ValueError):
    """Anything wrong with an upload. `location` says where: "line 3",
    "messages[2].content", "archive.zip:foo.json line 7"."""

    def __init__(self, message: str, location: str = "") -> None:
        self.message = message
        self.location = location
        super().__init__(f"{location}: {message}" if location else message)

    def within(self, outer: str) -> TranscriptError:
        """The same error, located inside `outer` (a file, an archive entry, a line)."""
        return TranscriptError(self.message, join_location(outer, self.location))


def join_location(outer: str, inner: str) -> str:
    if not outer:
        return inner
    if not inner:
        return outer
    separator = " " if inner.startswith(("line ", "sample ")) else ", "
    return f"{outer}{separator}{inner}"


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 20 * 1024 * 1024
    max_json_depth: int = 100
    max_archive_entries: int = 5000
    max_archive_uncompressed_bytes: int = 500 * 1024 * 1024


@dataclass
class ItemOutcome:
    """What bulk import made of one item: an interview, an error, or a skip reason."""

    location: str
    interview: ParsedInterview | None
    error: TranscriptError | None
    skipped: str = ""
