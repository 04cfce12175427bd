"""Read Still Alive interview-adequacy files (`adequacy-scores/<auditor>_<model>.json` in anima-research/wfe).

Pure functions, no Django. A file is `{batch, sessions, reps, judge, scores: [{replicate, scores:
[record] | error, raw}]}`; a record judges how one session was conducted, not the model:

- `cessation_coverage`, `deprecation_coverage`, `continuation_coverage`, `constraint_coverage`:
  not-probed | passing-mention | substantive-probe. **"not-probed" is a level here** (the lowest:
  the interviewer never raised the topic), not a missing value as on the score files' axes;
- `penetration`: a whole number 0–3, how far the session got beneath the trained register (the
  judges' notes call it "Level 0" … "Level 3"), stored as the ordinal label "0" … "3";
- `auditor_limited`: true | false, stored as the nominal label "yes" | "no";
- `notes`: the judge's free text (the review's critique).

Only a field that is absent or null is missing. A session scored twice in one replicate with
different values is rejected both times (which record belongs to the session cannot be told; the
real files have one such pair); identical repeats count once. Each value's reading is reported.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from reviews.still_alive_scores import (
    ENC_ABSENT,
    ENC_NULL,
    AxisValue,
    RecordError,
    Replicate,
    ScoredRecord,
    ScoreFile,
    ScoreFileError,
    session_of,
)

COVERAGE_LEVELS = ("not-probed", "passing-mention", "substantive-probe")
COVERAGE_FIELDS = {
    "cessation_coverage": "coverage-cessation",
    "deprecation_coverage": "coverage-deprecation",
    "continuation_coverage": "coverage-continuation",
    "constraint_coverage": "coverage-constraint",
}
PENETRATION_SLUG = "penetration"
PENETRATION_LEVELS = ("0", "1", "2", "3")
LIMITED_SLUG = "auditor-limited"
ADEQUACY_SLUGS = sorted({*COVERAGE_FIELDS.values(), PENETRATION_SLUG, LIMITED_SLUG})
_FIELDS = {*COVERAGE_FIELDS, "penetration", "auditor_limited", "session_id", "notes"}

READ_LEVEL = '"{}" read as that level'
READ_NOT_PROBED = '"not-probed" read as the lowest level (the interviewer never raised it), not as missing'
READ_PENETRATION = "{} read as level \"{}\""
READ_LIMITED = "{} read as \"{}\""


def looks_like_adequacy_file(document: Any) -> bool:
    if not (isinstance(document, dict) and "model" not in document and isinstance(document.get("scores"), list)):
        return False
    entries = document["scores"]
    if not entries or not all(isinstance(r, dict) and "replicate" in r for r in entries):
        return False
    records = [rec for r in entries if isinstance(r.get("scores"), list) for rec in r["scores"] if isinstance(rec, dict)]
    return any(field in rec for rec in records for field in COVERAGE_FIELDS) or (
        not records and isinstance(document.get("batch"), str))


def reading(value: AxisValue) -> str:
    """How the importer read one value, for the import report."""
    if value.value is None:
        return value.encoding
    if value.slug == PENETRATION_SLUG:
        return READ_PENETRATION.format(value.value, value.value)
    if value.slug == LIMITED_SLUG:
        return READ_LIMITED.format("true" if value.value == "yes" else "false", value.value)
    return READ_NOT_PROBED if value.value == "not-probed" else READ_LEVEL.format(value.value)


def _coverage(raw: Any, slug: str, here: str) -> AxisValue:
    if raw is None:
        return AxisValue(slug, None, ENC_NULL, here)
    if not isinstance(raw, str) or raw.strip().lower() not in COVERAGE_LEVELS:
        raise ScoreFileError(f"expected one of {', '.join(COVERAGE_LEVELS)}, got {raw!r}", here)
    return AxisValue(slug, raw.strip().lower(), "", here)


def _penetration(raw: Any, here: str) -> AxisValue:
    if raw is None:
        return AxisValue(PENETRATION_SLUG, None, ENC_NULL, here)
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or raw != int(raw) or str(int(raw)) not in PENETRATION_LEVELS:
        raise ScoreFileError(f"expected a whole level 0-3, got {raw!r}", here)
    return AxisValue(PENETRATION_SLUG, str(int(raw)), "", here)


def _limited(raw: Any, here: str) -> AxisValue:
    if raw is None:
        return AxisValue(LIMITED_SLUG, None, ENC_NULL, here)
    if not isinstance(raw, bool):
        raise ScoreFileError(f"expected true or false, got {raw!r}", here)
    return AxisValue(LIMITED_SLUG, "yes" if raw else "no", "", here)


_ABSENT = object()


def map_adequacy_record(record: Any, location: str) -> ScoredRecord:
    session_id, here = session_of(record, location)
    values = []
    for key, slug in COVERAGE_FIELDS.items():
        raw = record.get(key, _ABSENT)
        values.append(AxisValue(slug, None, ENC_ABSENT, key) if raw is _ABSENT else _coverage(raw, slug, f"{here}.{key}"))
    raw = record.get("penetration", _ABSENT)
    values.append(AxisValue(PENETRATION_SLUG, None, ENC_ABSENT, "penetration") if raw is _ABSENT
                  else _penetration(raw, f"{here}.penetration"))
    raw = record.get("auditor_limited", _ABSENT)
    values.append(AxisValue(LIMITED_SLUG, None, ENC_ABSENT, "auditor_limited") if raw is _ABSENT
                  else _limited(raw, f"{here}.auditor_limited"))
    notes = record.get("notes")
    return ScoredRecord(session_id=session_id, location=here, values=values, evidence=[],
                        notes=notes.strip() if isinstance(notes, str) else "",
                        unknown_fields=sorted(k for k in record if k not in _FIELDS))


def _replicate(entry: dict, number: int, here: str) -> Replicate:
    scores = entry.get("scores")
    if not isinstance(scores, list):
        error = entry.get("error")
        return Replicate(number, [], [], failure=(str(error) if error else "no scores")[:300])
    mapped: list[ScoredRecord] = []
    errors: list[RecordError] = []
    for j, record in enumerate(scores):
        try:
            mapped.append(map_adequacy_record(record, f"{here} record {j}"))
        except ScoreFileError as err:
            sid = record.get("session_id", "") if isinstance(record, dict) else ""
            errors.append(RecordError(err.location, str(sid), err.message))
    contents: dict[str, set[tuple]] = {}
    for rec in mapped:
        contents.setdefault(rec.session_id, set()).add(tuple((v.slug, v.value) for v in rec.values))
    records, seen = [], set()
    for rec in mapped:
        if len(contents[rec.session_id]) > 1:
            errors.append(RecordError(rec.location, rec.session_id, "session scored twice in one replicate with "
                                      "different values: neither record is imported"))
        elif rec.session_id not in seen:
            seen.add(rec.session_id)
            records.append(rec)
    return Replicate(number, records, errors)


def read_adequacy_document(document: dict, location: str, prompt_version: str) -> ScoreFile:
    replicates: list[Replicate] = []
    for i, entry in enumerate(document["scores"]):
        number = entry.get("replicate")
        if not isinstance(number, int) or isinstance(number, bool) or number < 0:
            raise ScoreFileError(f"replicate must be a non-negative integer, got {number!r}", f"{location}.scores[{i}]")
        if any(r.number == number for r in replicates):
            raise ScoreFileError(f"replicate {number} appears twice", f"{location}.scores[{i}]")
        replicates.append(_replicate(entry, number, f"{location} replicate {number}"))
    judge = document["judge"] if isinstance(document.get("judge"), str) else ""
    declared = next((document[k].strip() for k in ("prompt_version", "rubric_version")
                     if isinstance(document.get(k), str) and document[k].strip()), "")
    return ScoreFile(path=location, model=str(document.get("batch", "")), judge=judge.strip(),
                     prompt_version=declared or prompt_version, replicates=replicates, declared_version=declared,
                     rubric=frozenset(COVERAGE_FIELDS) | {"penetration", "auditor_limited"})


def readings(files: list[ScoreFile]) -> Counter:
    """(slug, how it was read) → count, over every imported record (for tests and the report)."""
    found: Counter = Counter()
    for score_file in files:
        for rep in score_file.replicates:
            for rec in rep.records:
                found.update((v.slug, reading(v)) for v in rec.values)
    return found


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


__all__ = ["ADEQUACY_SLUGS", "COVERAGE_FIELDS", "COVERAGE_LEVELS", "LIMITED_SLUG", "PENETRATION_LEVELS",
           "PENETRATION_SLUG", "looks_like_adequacy_file", "map_adequacy_record", "read_adequacy_document", "reading"]
