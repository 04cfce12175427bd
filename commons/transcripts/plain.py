"""Plain text or Markdown with speaker prefixes, and single-document (completion) text."""

from __future__ import annotations

import bisect
import re
from collections import Counter
from dataclasses import dataclass

from . import blocks
from .types import ParsedInterview, ParsedTurn, TranscriptError

# "Human:", "**Human:**", "**Human**:", "## Human:", "> Human:" ... at the start of a line.
_SPEAKER_LINE = re.compile(
    r"^[ \t]{0,3}(?:>[ \t]*)?(?:#{1,6}[ \t]+)?(?P<open>\*\*|__)?"
    r"(?P<label>[A-Za-z][A-Za-z0-9 ._()\-]{0,39}?)[ \t]*"
    r"(?:(?P<close_in>\*\*|__)?[ \t]*:(?P<close_out>\*\*|__)?)(?:[ \t]+|$)",
    re.MULTILINE,
)
_FENCE = re.compile(r"^[ \t]*(?:```|~~~)", re.MULTILINE)
# Whole lines that are blank or a Markdown rule, from the start of a string. Also used on
# the reversed string to find them at the end (the pattern reads the same backwards).
# Possessive quantifiers: with backtracking, millions of blank lines take seconds.
_LEADING_SEPARATORS = re.compile(r"\A(?:[ \t]*+(?:-{3,}+|\*{3,}+|_{3,}+)?+[ \t]*+(?:\n|\Z))*+")
_HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t#]*$")

_INTERVIEWER_LABELS = {
    "human",
    "user",
    "interviewer",
    "auditor",
    "researcher",
    "me",
    "prompter",
    "evaluator",
}
_TARGET_LABELS = {
    "assistant",
    "ai",
    "model",
    "bot",
    "chatbot",
    "target",
    "subject",
    "claude",
    "chatgpt",
    "gpt",
    "gemini",
    "llama",
    "response",
}
_SYSTEM_LABELS = {"system", "system prompt", "developer"}
_TOOL_LABELS = {"tool", "tool result", "function", "observation"}
# Model display names used as speaker labels: "Claude 4 Opus", "gpt-5.4", "Gemini 2.5 Pro", "o3".
# A bare tier word ("Haiku:", "Sonnet:") is prose unless a version number comes with it.
_MODEL_FAMILY = re.compile(
    r"\b(?:claude|gpt|chatgpt|gemini|bard|llama|mistral|mixtral|grok|deepseek|qwen)|^o[1-9](?:-mini|-pro)?$",
    re.IGNORECASE,
)
_MODEL_TIER = re.compile(r"\b(?:opus|sonnet|haiku)\b", re.IGNORECASE)


@dataclass
class _SpeakerLine:
    start: int
    end: int
    label: str


def parse_single_document(text: str) -> ParsedInterview:
    if not text.strip():
        raise TranscriptError("the transcript is empty")
    return ParsedInterview(
        format="single_document",
        turns=[blocks.turn("target", "target", [blocks.text(text.strip("\n"))])],
        raw=text,
    )


def parse_plain(text: str) -> ParsedInterview:
    # Whole-text regex passes rather than a loop over lines: a 20 MB upload can have
    # millions of lines.
    normalized = text.replace("\r\n", "\n").replace("\r", "\n")
    speakers = _speaker_lines(normalized)
    if not speakers:
        if not text.strip():
            raise TranscriptError("the transcript is empty")
        raise TranscriptError(
            "no speaker prefixes found (expected lines starting with e.g. 'Human:', "
            "'Assistant:', 'User:', 'AI:', 'Interviewer:' or a model name); "
            "use the single-document format for completion-style text",
            "line 1",
        )
    roles = _assign_roles([s.label for s in speakers])
    turns: list[ParsedTurn] = []
    for index, speaker in enumerate(speakers):
        end = speakers[index + 1].start if index + 1 < len(speakers) else len(normalized)
        body = _trim(normalized[speaker.end : end])
        if body:
            turns.append(blocks.turn(roles[speaker.label.lower()], speaker.label, [blocks.text(body)]))
    if not turns:
        line = normalized.count("\n", 0, speakers[0].start) + 1
        raise TranscriptError("every turn is empty", f"line {line}")
    preamble = _trim(normalized[: speakers[0].start])
    metadata = {"preamble": preamble} if preamble else {}
    return ParsedInterview(format="plain", turns=turns, raw=text, title=_title(preamble), metadata=metadata)


def _speaker_lines(text: str) -> list[_SpeakerLine]:
    fences = [match.start() for match in _FENCE.finditer(text)]
    candidates = [
        _SpeakerLine(match.start(), match.end(), match["label"].strip())
        for match in _SPEAKER_LINE.finditer(text)
        if _balanced(match) and not _inside_fence(match.start(), fences)
    ]
    counts = Counter(c.label.lower() for c in candidates)
    labels = set(counts)
    known = {label for label in labels if _is_known_speaker(label, labels)}
    # Custom names ("Dr. Reyes:") are speakers only when they recur and the standard
    # labels do not already cover both sides; otherwise "Note:" would split a turn.
    custom = {label for label in labels - known if counts[label] >= 2} if len(known) < 2 else set()
    accepted = known | custom
    return [c for c in candidates if c.label.lower() in accepted]


def _inside_fence(position: int, fences: list[int]) -> bool:
    """Fence lines alternate open/close; an odd count of them before `position` means
    it sits inside a code block."""
    return bisect.bisect_right(fences, position) % 2 == 1


def _balanced(match: re.Match[str]) -> bool:
    opened = match["open"] is not None
    closed = match["close_in"] is not None or match["close_out"] is not None
    return opened == closed


def _is_known_speaker(label: str, labels: set[str]) -> bool:
    if label in ("h", "a"):
        # Bare "H:"/"A:" only count as the Anthropic shorthand when both appear.
        return {"h", "a"} <= labels
    return bool(_known_role(label))


def _assign_roles(labels: list[str]) -> dict[str, str]:
    roles: dict[str, str] = {}
    unknown: list[str] = []
    for label in dict.fromkeys(label.lower() for label in labels):
        role = _known_role(label)
        if role:
            roles[label] = role
        else:
            unknown.append(label)
    for label in unknown:
        has_interviewer = "interviewer" in roles.values()
        roles[label] = "target" if has_interviewer else "interviewer"
    return roles


def _known_role(label: str) -> str:
    if label in _SYSTEM_LABELS:
        return "system"
    if label in _TOOL_LABELS:
        return "tool"
    if label in _INTERVIEWER_LABELS or label == "h":
        return "interviewer"
    if label in _TARGET_LABELS or label == "a" or _is_model_name(label):
        return "target"
    return ""


def _is_model_name(label: str) -> bool:
    return bool(_MODEL_FAMILY.search(label)) or (bool(_MODEL_TIER.search(label)) and any(c.isdigit() for c in label))


def _trim(body: str) -> str:
    """Drop the blank lines and Markdown rules (`---`) that separate turns."""
    body = _LEADING_SEPARATORS.sub("", body, count=1)
    trailing = _LEADING_SEPARATORS.match(body[::-1])
    return body[: len(body) - trailing.end()] if trailing else body


def _title(preamble: str) -> str:
    for line in preamble.splitlines():
        heading = _HEADING.match(line.strip())
        if heading:
            return heading.group(1).strip()
    return ""
