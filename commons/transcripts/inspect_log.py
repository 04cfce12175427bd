"""Inspect (`inspect_ai`) eval logs, `.json` or zipped `.eval`: one interview per sample.

Petri-on-Inspect audits (`inspect-petri`) put the model under test in
`eval.model_roles["target"]` and the auditor in `["auditor"]`; the sample's `messages`
hold only the branch the audit ended on, so the whole tree (rolled-back branches too)
is rebuilt from the target's model-call events.
"""

from __future__ import annotations

import posixpath
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

from . import blocks, jsondoc
from .archive import ZipArchive
from .blocks import as_dict, as_list, at, opt_str
from .decoding import decode_text
from .inspect_messages import attachment_resolver, message_key, message_turn, resolve_all
from .types import InterviewerInfo, Limits, ParsedInterview, TranscriptError, join_location

_NO_MODEL = "none/none"
# A model call can reference the whole message pool in a few bytes; bound the expansion.
_MAX_PATH_MESSAGES = 1_000_000
_SAMPLING_KEYS = (
    "temperature",
    "top_p",
    "top_k",
    "max_tokens",
    "seed",
    "stop_seqs",
    "frequency_penalty",
    "presence_penalty",
    "reasoning_effort",
    "reasoning_tokens",
    "num_choices",
)
SampleOutcome = tuple[str, ParsedInterview | TranscriptError]


def looks_like_inspect_log(document: Any) -> bool:
    return (
        isinstance(document, dict)
        and isinstance(document.get("eval"), dict)
        and ("samples" in document or "plan" in document or "status" in document)
    )


def looks_like_eval_archive(archive: ZipArchive) -> bool:
    names = archive.names()
    return "header.json" in names or "_journal/start.json" in names


def parse_inspect_log(document: dict[str, Any], text: str, location: str = "") -> Iterator[SampleOutcome]:
    """Samples of a `.json` log; raw text of each is its verbatim slice of the log."""
    samples = as_list(document.get("samples") or [], join_location(location, "samples"))
    if not samples:
        raise TranscriptError(_NO_SAMPLES, location)
    raws = jsondoc.iter_spans_or_dumps(text, samples, key="samples")
    for i, (sample, raw) in enumerate(zip(samples, raws, strict=True)):
        here = _sample_location(location, sample, f"samples[{i}]")
        try:
            yield here, sample_interview(document, sample, raw, f"samples[{i}]")
        except TranscriptError as exc:
            yield here, exc


def parse_eval_archive(archive: ZipArchive, limits: Limits) -> Iterator[SampleOutcome]:
    """Samples of a `.eval` log (a zip of JSON entries)."""
    header = _read_json(archive, "header.json", limits)
    if header is None:
        header = _read_json(archive, "_journal/start.json", limits)
    if header is None:
        raise TranscriptError("not an Inspect log: no header.json or _journal/start.json", archive.location)
    entries = [
        e for e in archive.files() if posixpath.dirname(e.filename) == "samples" and e.filename.endswith(".json")
    ]
    if not entries:
        raise TranscriptError(_NO_SAMPLES, archive.location)
    entries.sort(key=_dataset_order(header))
    for entry in entries:
        location = archive.entry_location(entry.filename)
        try:
            text = decode_text(archive.read(entry), location)
            sample = jsondoc.loads(text, limits.max_json_depth, location)
            yield _sample_location(archive.location, sample, entry.filename), sample_interview(header, sample, text, "")
        except TranscriptError as exc:
            yield location, exc


_NO_SAMPLES = "Inspect log has no samples (was it written with log_samples=False?)"


def _dataset_order(header: dict[str, Any]) -> Callable[[zipfile.ZipInfo], tuple[int, int, str]]:
    """Sort key putting `samples/<id>_epoch_<n>.json` entries in dataset order (a zip
    stores them in completion order)."""
    dataset = header.get("eval", {}).get("dataset") if isinstance(header.get("eval"), dict) else None
    ids = dataset.get("sample_ids") if isinstance(dataset, dict) else None
    position = {str(sample_id): i for i, sample_id in enumerate(ids)} if isinstance(ids, list) else {}

    def key(entry: zipfile.ZipInfo) -> tuple[int, int, str]:
        stem = posixpath.basename(entry.filename).removesuffix(".json")
        sample_id, _, epoch = stem.rpartition("_epoch_")
        return (
            position.get(sample_id, len(position)),
            int(epoch) if epoch.isascii() and epoch.isdigit() else 0,
            entry.filename,
        )

    return key


def _read_json(archive: ZipArchive, name: str, limits: Limits) -> Any:
    entry = next((e for e in archive.files() if e.filename == name), None)
    if entry is None:
        return None
    location = archive.entry_location(name)
    return as_dict(jsondoc.loads(decode_text(archive.read(entry), location), limits.max_json_depth, location), location)


def _sample_location(outer: str, sample: Any, fallback: str) -> str:
    if isinstance(sample, dict) and isinstance(sample.get("id"), (str, int)):
        epoch = sample.get("epoch")
        suffix = f" epoch {epoch}" if isinstance(epoch, int) and epoch > 1 else ""
        return join_location(outer, f"sample {sample['id']}{suffix}")
    return join_location(outer, fallback)


def sample_interview(header: dict[str, Any], sample: Any, raw: str, location: str) -> ParsedInterview:
    sample = as_dict(sample, location)
    spec = as_dict(header.get("eval"), "eval")
    roles: dict[str, Any] = spec["model_roles"] if isinstance(spec.get("model_roles"), dict) else {}
    target_id = _role_model(roles, "target") or opt_str(spec, "model", "eval")
    auditor_id = _role_model(roles, "auditor")
    target = blocks.model_from_id(target_id) if target_id and target_id != _NO_MODEL else None
    resolve = attachment_resolver(sample.get("attachments"))
    labels = {"system": "system", "user": "auditor" if auditor_id else "user"}
    if target:
        labels["assistant"] = target.name
    predecessors, messages, final_branch = _conversation(sample, roles, location)
    turns = [message_turn(message, where, labels, resolve) for message, where in messages]
    for turn, parent in zip(turns, blocks.chain_parents(predecessors), strict=True):
        turn.parent = parent

    sample_id = sample.get("id")
    epoch = sample.get("epoch")
    source_id = str(sample_id) if sample_id is not None else ""
    if isinstance(epoch, int) and epoch > 1:
        source_id = f"{source_id}#epoch{epoch}"
    task = opt_str(spec, "task", "eval")
    metadata: dict[str, Any] = {
        key: value
        for key, value in (
            ("task", task),
            ("eval_id", spec.get("eval_id")),
            ("run_id", spec.get("run_id")),
            ("task_version", spec.get("task_version")),
            ("log_status", header.get("status")),
            ("sample_uuid", sample.get("uuid")),
            ("epoch", epoch),
            ("packages", spec.get("packages")),
            ("input", resolve_all(sample.get("input"), resolve)),
            ("target", sample.get("target")),
            ("sample_metadata", sample.get("metadata")),
            ("model_usage", sample.get("model_usage")),
        )
        if value not in (None, "", {}, [])
    }
    error = sample.get("error")
    if isinstance(error, dict):
        metadata["sample_error"] = error.get("message")
    if any(turn.parent is not None for turn in turns):
        metadata["final_branch"] = final_branch
    return ParsedInterview(
        format="inspect",
        turns=turns,
        raw=raw,
        source_id=source_id,
        title=f"{task} — sample {source_id}" if task else "",
        target_model=target,
        interviewer=InterviewerInfo(name=blocks.model_from_id(auditor_id).api_id, kind="model") if auditor_id else None,
        conducted_at=blocks.parse_timestamp(
            sample.get("started_at") or spec.get("created"), at(location, "started_at")
        ),
        sampling=_sampling(header, roles),
        scores=_scores(sample.get("scores"), at(location, "scores")),
        metadata=metadata,
    )


def _role_model(roles: dict[str, Any], role: str) -> str:
    config = roles.get(role)
    if isinstance(config, str):
        return config
    return blocks.str_field(config, "model") or ""


def _conversation(
    sample: dict[str, Any], roles: dict[str, Any], location: str
) -> tuple[list[int | None], list[tuple[dict[str, Any], str]], list[int]]:
    """Messages as a tree: the predecessor of each, (message, location) of each, and
    the indices of the sample's own `messages` (the branch the run ended on)."""
    final = as_list(sample.get("messages") or [], at(location, "messages"))
    paths: list[tuple[list[Any], str]] = []
    if "target" in roles:
        paths.extend(_target_call_paths(sample, location))
    paths.append((final, at(location, "messages")))
    if sum(len(path) for path, _ in paths) > _MAX_PATH_MESSAGES:
        raise TranscriptError(f"more than {_MAX_PATH_MESSAGES:,} messages across the target's model calls", location)
    nodes: dict[tuple[int | None, str], int] = {}
    # Model calls share message objects (input_refs into one pool): key each object once.
    keys: dict[int, str] = {}
    predecessors: list[int | None] = []
    messages: list[tuple[dict[str, Any], str]] = []
    visited: list[int] = []
    for path, where in paths:
        previous: int | None = None
        visited = []
        for i, message in enumerate(path):
            message = as_dict(message, at(where, f"[{i}]"))
            if id(message) not in keys:
                keys[id(message)] = message_key(message)
            key = (previous, keys[id(message)])
            if key not in nodes:
                nodes[key] = len(messages)
                predecessors.append(previous)
                messages.append((message, at(where, f"[{i}]")))
            previous = nodes[key]
            visited.append(previous)
    return predecessors, messages, visited


def _target_call_paths(sample: dict[str, Any], location: str) -> list[tuple[list[Any], str]]:
    """Each model call the target made, as the conversation it saw plus its reply."""
    events_data = sample.get("events_data")
    pool = events_data.get("messages") if isinstance(events_data, dict) else None
    pool = pool if isinstance(pool, list) else []
    paths: list[tuple[list[Any], str]] = []
    for i, event in enumerate(as_list(sample.get("events") or [], at(location, "events"))):
        if not isinstance(event, dict) or event.get("event") != "model" or event.get("role") != "target":
            continue
        where = at(location, f"events[{i}]")
        conversation = list(as_list(event.get("input") or [], at(where, "input")))
        for j, ref in enumerate(as_list(event.get("input_refs") or [], at(where, "input_refs"))):
            if not (isinstance(ref, list) and len(ref) == 2 and all(type(n) is int for n in ref)):
                raise TranscriptError("malformed input reference", at(where, f"input_refs[{j}]"))
            conversation.extend(pool[ref[0] : ref[1]])
        output = event.get("output")
        choices = output.get("choices") if isinstance(output, dict) else None
        if (
            isinstance(choices, list)
            and choices
            and isinstance(choices[0], dict)
            and isinstance(choices[0].get("message"), dict)
        ):
            conversation.append(choices[0]["message"])
        paths.append((conversation, where))
    return paths


def _sampling(header: dict[str, Any], roles: dict[str, Any]) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    sources = [
        as_dict(header.get("eval"), "eval").get("model_generate_config"),
        header.get("plan", {}).get("config") if isinstance(header.get("plan"), dict) else None,
        roles.get("target", {}).get("config") if isinstance(roles.get("target"), dict) else None,
    ]
    for source in sources:
        if isinstance(source, dict):
            settings.update({k: source[k] for k in _SAMPLING_KEYS if source.get(k) is not None})
    return settings


def _scores(scores: Any, location: str) -> dict[str, Any]:
    if scores is None:
        return {}
    result: dict[str, Any] = {}
    for name, score in as_dict(scores, location).items():
        score = as_dict(score, at(location, name))
        result[name] = {k: score[k] for k in ("value", "answer", "explanation", "metadata") if score.get(k) is not None}
    return result
