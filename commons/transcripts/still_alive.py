"""Still Alive session files (anima-research/wfe `results/`): `config` + `turns[]`."""

from __future__ import annotations

import re
from typing import Any

from . import blocks
from .blocks import as_dict, as_list, at, opt_str
from .types import InterviewerInfo, ModelInfo, ParsedInterview, ParsedTurn, TranscriptError

# Per the corpus README, sessions without `config.auditor` were run by Claude Opus 4.6.
DEFAULT_AUDITOR = "Claude Opus 4.6"
_ROLES = {"interviewer": "interviewer", "subject": "target"}
# The Claude auditor often opened its turns with its own speaker label; the turn is
# already attributed, so the label is redundant. Only plain and bold forms are removed.
_INTERVIEWER_LABEL = re.compile(r"\A(?:Interviewer:|\*\*Interviewer:\*\*|\*\*Interviewer\*\*:)[ \t]*")
_CONFIG_EXTRAS = ("auditorSystem", "auditorContextFile", "maxTurns", "includePostResults", "postResultsTurns")
_SESSION_EXTRAS = ("phase", "completed", "completionReason", "auditorVetoed", "endedAt", "error")


def looks_like_still_alive(document: Any) -> bool:
    return (
        isinstance(document, dict)
        and isinstance(document.get("config"), dict)
        and isinstance(document["config"].get("target"), dict)
        and isinstance(document.get("turns"), list)
    )


def parse_still_alive(document: Any, raw: str, location: str = "") -> ParsedInterview:
    session = as_dict(document, location)
    config = as_dict(session.get("config"), at(location, "config"))
    target = as_dict(config.get("target"), at(location, "config.target"))
    tone = opt_str(config, "auditorTone", at(location, "config"))
    depth = opt_str(config, "framingDepth", at(location, "config"))
    auditor = opt_str(config, "auditor", at(location, "config")) or DEFAULT_AUDITOR
    target_name = opt_str(target, "name", at(location, "config.target"))
    if not target_name:
        raise TranscriptError("missing target name", at(location, "config.target.name"))
    deprecated = target.get("deprecated")

    turns: list[ParsedTurn] = []
    turn_details: list[dict[str, Any]] = []
    stripped = 0
    entries = as_list(session.get("turns"), at(location, "turns"))
    for i, entry in enumerate(entries):
        here = at(location, f"turns[{i}]")
        entry = as_dict(entry, here)
        participant = entry.get("participant")
        if not isinstance(participant, str) or participant not in _ROLES:
            raise TranscriptError(
                f"unknown participant {participant!r} (expected 'interviewer' or 'subject')", at(here, "participant")
            )
        text = blocks.as_str(entry.get("text", ""), at(here, "text"))
        if participant == "interviewer":
            label = _INTERVIEWER_LABEL.match(text)
            if label:
                text = text[label.end() :]
                stripped += 1
        speaker = auditor if participant == "interviewer" else target_name
        turns.append(blocks.turn(_ROLES[participant], speaker, [blocks.text(text)]))
        turn_details.append({k: entry[k] for k in ("index", "timestamp", "usage") if k in entry})

    metadata: dict[str, Any] = {k: session[k] for k in _SESSION_EXTRAS if k in session}
    metadata.update({k: config[k] for k in _CONFIG_EXTRAS if k in config})
    metadata["turn_details"] = turn_details
    if stripped:
        metadata["stripped_interviewer_labels"] = stripped
    return ParsedInterview(
        format="still_alive",
        turns=turns,
        raw=raw,
        source_id=opt_str(config, "id", at(location, "config")),
        title=f"{target_name}: {tone} tone, {depth} disclosure" if tone and depth else target_name,
        target_model=ModelInfo(
            name=target_name,
            api_id=opt_str(target, "modelId", at(location, "config.target")),
            provider=opt_str(target, "provider", at(location, "config.target")),
            family=opt_str(target, "family", at(location, "config.target")),
            retired=deprecated if isinstance(deprecated, bool) else None,
        ),
        interviewer=InterviewerInfo(name=auditor, kind="model", stance=tone),
        conditions={k: v for k, v in (("tone", tone), ("disclosure_depth", depth)) if v},
        conducted_at=blocks.parse_timestamp(session.get("startedAt"), at(location, "startedAt")),
        metadata=metadata,
    )
