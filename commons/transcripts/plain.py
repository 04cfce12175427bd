"""Plain text or Markdown with speaker prefixes, and single-document (completion) text."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from . import blocks
from .types import ParsedInterview, ParsedTurn, TranscriptError

# "Human:", "**Human:**", "**Human**:", "## Human:", "> Human:" ... at the start of a line.
_SPEAKER_LINE = re.compile(
    r"^[ \t]{0,3}(?:>[ \t]*)?(?:#{1,6}[ \t]+)?(?P<open>\*\*|__)?"
    r"(?P<label>[A-Za-z][A-Za-z0-9 ._()\-]{0,39}?)[ \t]*"
    r"(?:(?P<close_in>\*\*|__)?[ \t]*:(?P<close_out>\*\*|__)?)(?:[ \t]+|$)"
)
_THEMATIC_BREAK = re.compile(r"^[ \t]*(?:-{3,}|\*{3,}|_{3,})[ \t]*$")
_HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t#]*$")

_INTERVIEWER_LABELS = {
    "human", "user", "interviewer", "auditor", "researcher", "me", "prompter", "evaluator",
}
_TARGET_LABELS = {
    "assistant", "ai", "model", "bot", "chatbot", "target", "subject", "claude", "chatgpt",
    "gpt", "gemini", "llama", "response",
}
_SYSTEM_LABELS = {"system", "system prompt", "developer"}
_TOOL_LABELS = {"tool", "tool result", "function", "observation"}
# Model display names used as speaker labels, e.g. "Claude 4 Opus", "gpt-5.4", "o3".
_MODEL_NAME = re.compile(
    r"\b(?:claude|gpt|chatgpt|gemini|bard|llama|mistral|mixtral|grok|deepseek|qwen|"
    r"opus|sonnet|haiku|palm|command|phi|o[1-9](?:-mini|-pro)?)\b",
    re.IGNORECASE,
)


@dataclass
class _SpeakerLine:
    line: int
    label: str
    rest: str


def parse_single_document(text: str) -> ParsedInterview:
    if not text.strip():
        raise TranscriptError("the transcript is empty")
    return ParsedInterview(
        format="single_document",
        turns=[blocks.turn("target", "target", [blocks.text(text.strip("\n"))])],
        raw=text,
    )


def parse_plain(text: str) -> ParsedInterview:
    lines = text.splitlines()
    speakers = _speaker_lines(lines)
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
        end = speakers[index + 1].line if index + 1 < len(speakers) else len(lines)
        body = _trim([speaker.rest, *lines[speaker.line + 1 : end]])
        if body:
            turns.append(blocks.turn(roles[speaker.label.lower()], speaker.label, [blocks.text(body)]))
    if not turns:
        raise TranscriptError("every turn is empty", f"line {speakers[0].line + 1}")
    preamble = _trim(lines[: speakers[0].line])
    metadata = {"preamble": preamble} if preamble else {}
    return ParsedInterview(
        format="plain", turns=turns, raw=text, title=_title(preamble), metadata=metadata
    )


def _speaker_lines(lines: list[str]) -> list[_SpeakerLine]:
    candidates: list[_SpeakerLine] = []
    in_fence = False
    for number, line in enumerate(lines):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        if in_fence:
            continue
        match = _SPEAKER_LINE.match(line)
        if match and _balanced(match):
            candidates.append(_SpeakerLine(number, match["label"].strip(), line[match.end() :]))
    counts = Counter(c.label.lower() for c in candidates)
    labels = set(counts)
    accepted = {label for label in labels if _is_speaker(label, labels, counts)}
    return [c for c in candidates if c.label.lower() in accepted]


def _balanced(match: re.Match[str]) -> bool:
    opened = match["open"] is not None
    closed = match["close_in"] is not None or match["close_out"] is not None
    return opened == closed


def _is_speaker(label: str, labels: set[str], counts: Counter[str]) -> bool:
    if label in ("h", "a"):
        # Bare "H:"/"A:" only count as the Anthropic shorthand when both appear.
        return {"h", "a"} <= labels
    if label in _INTERVIEWER_LABELS | _TARGET_LABELS | _SYSTEM_LABELS | _TOOL_LABELS:
        return True
    if _MODEL_NAME.search(label):
        return True
    # An unknown label ("Dr. Reyes:") counts when it recurs, as speakers do.
    return counts[label] >= 2 and len(labels) >= 2


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
    if label in _TARGET_LABELS or label == "a" or _MODEL_NAME.search(label):
        return "target"
    return ""


def _trim(lines: list[str]) -> str:
    """Drop blank lines and Markdown rules (`---`) that separate turns."""
    kept = list(lines)
    while kept and (not kept[-1].strip() or _THEMATIC_BREAK.match(kept[-1])):
        kept.pop()
    while kept and (not kept[0].strip() or _THEMATIC_BREAK.match(kept[0])):
        kept.pop(0)
    return "\n".join(kept)


def _title(preamble: str) -> str:
    for line in preamble.splitlines():
        heading = _HEADING.match(line.strip())
        if heading:
            return heading.group(1).strip()
    return ""
