"""Interviews: checking an uploaded transcript, storing it with its turns, submitting and withdrawing."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models.signals import post_save
from django.utils import timezone

from commons.models import AuditEvent, ImportJob, Interview, Interviewer, Study, TargetModel, Turn, User
from commons.services.audit import audit_event, record_audit
from commons.services.errors import DuplicateInterview, ServiceError
from commons.transcripts import Limits, ParsedInterview, TranscriptError, parse
from commons.transcripts.types import ROOT, InterviewerInfo, ModelInfo


def transcript_limits() -> Limits:
    return Limits(
        max_bytes=settings.TRANSCRIPT_MAX_BYTES,
        max_json_depth=settings.TRANSCRIPT_MAX_JSON_DEPTH,
        max_archive_entries=settings.IMPORT_MAX_ARCHIVE_ENTRIES,
        max_archive_uncompressed_bytes=settings.IMPORT_MAX_UNCOMPRESSED_BYTES,
    )


def check_transcript(*, data: bytes, filename: str = "", fmt: str | None = None) -> ParsedInterview:
    """Parse one submitted transcript or raise ServiceError naming where it is wrong."""
    if not data or not data.strip():
        raise ServiceError("The transcript is empty.", "transcript")
    if len(data) > settings.TRANSCRIPT_MAX_BYTES:
        raise ServiceError(
            f"The transcript is {len(data):,} bytes; the limit is {settings.TRANSCRIPT_MAX_BYTES:,}.", "transcript")
    try:
        interviews = parse(data, filename=filename, fmt=fmt or None, limits=transcript_limits())
    except TranscriptError as err:
        raise ServiceError(str(err), "transcript") from None
    if len(interviews) != 1:
        raise ServiceError(
            f"The file holds {len(interviews)} interviews; use the bulk import for more than one.", "transcript")
    if not interviews[0].turns:
        raise ServiceError("The transcript has no turns.", "transcript")
    return interviews[0]


def content_hash(parsed: ParsedInterview) -> str:
    """SHA-256 over roles and content blocks, so the same conversation in another format matches."""
    canonical = [[turn.role, turn.blocks, turn.parent] for turn in parsed.turns]
    payload = json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def turn_plain_text(blocks: Iterable[dict]) -> str:
    return "\n\n".join(str(b.get("text", "")) for b in blocks if b.get("type") == "text")


# --- target models and interviewers -------------------------------------------------------


# A bulk import names the same few models and interviewers in every item; inside `remembered_lookups()`
# each is looked up once. The memo is cleared whenever an item fails, because rolling back that item's
# savepoint may have undone a row the memo points at.
_lookups: ContextVar[dict[tuple, Any] | None] = ContextVar("commons_lookups", default=None)


@contextmanager
def remembered_lookups() -> Iterator[None]:
    token = _lookups.set({})
    try:
        yield
    finally:
        _lookups.reset(token)


def forget_lookups() -> None:
    memo = _lookups.get()
    if memo is not None:
        memo.clear()


def _remembered(key: tuple, find: Any) -> Any:
    memo = _lookups.get()
    if memo is None:
        return find()
    if key not in memo:
        memo[key] = find()
    return memo[key]


def get_or_create_target_model(*, info: ModelInfo, created_by: User | None) -> TargetModel:
    """Match by API identifier first, then by name; create when neither is known."""
    return _remembered(("target_model", info.api_id, info.name.casefold()),
                       lambda: _get_or_create_target_model(info=info, created_by=created_by))


def _get_or_create_target_model(*, info: ModelInfo, created_by: User | None) -> TargetModel:
    if info.api_id:
        found = TargetModel.objects.filter(api_id=info.api_id).first()
        if found:
            return found
    found = TargetModel.objects.filter(name__iexact=info.name).first()
    if found:
        return found
    model, _ = TargetModel.objects.get_or_create(
        name=info.name[:200],
        defaults={
            "api_id": info.api_id[:200],
            "provider": info.provider[:100],
            "family": info.family[:100],
            "retired": bool(info.retired),
            "release_date": getattr(info, "release_date", None),
            "created_by": created_by,
        },
    )
    return model


def get_or_create_interviewer(*, info: InterviewerInfo, created_by: User | None) -> Interviewer:
    kind = info.kind if info.kind in Interviewer.Kind.values else Interviewer.Kind.MODEL
    name, stance = info.name[:200], info.stance[:200]

    def find() -> Interviewer:
        interviewer, _ = Interviewer.objects.get_or_create(name=name, kind=kind, stance=stance,
                                                           defaults={"created_by": created_by})
        return interviewer

    return _remembered(("interviewer", name, kind, stance), find)


def create_target_model(*, created_by: User, name: str, provider: str = "", api_id: str = "", family: str = "",
                        release_date: date | None = None, retired: bool = False,
                        retirement_date: date | None = None) -> TargetModel:
    if TargetModel.objects.filter(name__iexact=name).exists():
        raise ServiceError(f"A target model named “{name}” already exists.", "name")
    return TargetModel.objects.create(
        name=name, provider=provider, api_id=api_id, family=family, release_date=release_date,
        retired=retired, retirement_date=retirement_date, created_by=created_by,
    )


# --- interviews ---------------------------------------------------------------------------


def validate_conditions(*, study: Study | None, conditions: dict) -> dict[str, str]:
    if not isinstance(conditions, dict):
        raise ServiceError("Conditions must be an object mapping factor to level.", "conditions")
    cleaned: dict[str, str] = {}
    for factor, level in conditions.items():
        if not isinstance(factor, str) or not isinstance(level, (str, int, float)) or not str(factor).strip():
            raise ServiceError(f"Condition “{factor}” must map a factor name to a level.", "conditions")
        cleaned[factor.strip()[:60]] = str(level).strip()[:100]
    if study and study.factors:
        for factor, level in cleaned.items():
            if factor not in study.factors:
                raise ServiceError(f"Study “{study.title}” has no factor “{factor}”.", "conditions")
            if level not in study.factors[factor]:
                allowed = ", ".join(study.factors[factor])
                raise ServiceError(f"“{level}” is not a level of {factor} (allowed: {allowed}).", "conditions")
    return cleaned


@dataclass
class PreparedInterview:
    """An interview checked and built but not yet written: the unsaved row, its turns, and which turn
    branches from which (by index)."""

    interview: Interview
    turns: list[Turn]
    branches: list[tuple[int, int]]


def prepare_interview(
    *,
    contributor: User,
    parsed: ParsedInterview,
    target_model: TargetModel,
    interviewer: Interviewer | None,
    study: Study | None = None,
    conditions: dict | None = None,
    topics: list[str] | None = None,
    conducted_on: date | None = None,
    licence: str = Interview._meta.get_field("licence").default,
    visibility: str = Interview.Visibility.PUBLIC,
    submit: bool = True,
    title: str = "",
    source_filename: str = "",
    import_job: ImportJob | None = None,
) -> PreparedInterview:
    """Everything storing an interview checks, with no write: raises ServiceError for bad input."""
    if not parsed.turns:
        raise ServiceError("The transcript has no turns.", "transcript")
    now = timezone.now()
    if conducted_on is None and parsed.conducted_at:
        conducted_on = parsed.conducted_at.date()
    interview = Interview(
        title=(title or parsed.title or parsed.source_id or "")[:300],
        study=study,
        target_model=target_model,
        interviewer=interviewer,
        conditions=validate_conditions(study=study, conditions=conditions if conditions is not None else parsed.conditions),
        topics=[t.strip()[:80] for t in (topics if topics is not None else parsed.topics) if t and t.strip()],
        conducted_on=conducted_on,
        sampling=parsed.sampling,
        licence=licence,
        contributor=contributor,
        status=Interview.Status.SUBMITTED if submit else Interview.Status.DRAFT,
        visibility=visibility,
        source_format=parsed.format,
        source_id=parsed.source_id[:300],
        source_filename=source_filename[:500],
        source_scores=parsed.scores,
        metadata=parsed.metadata,
        original=parsed.raw,
        content_hash=content_hash(parsed),
        import_job=import_job,
        submitted_at=now if submit else None,
    )
    turns = [
        Turn(index=i, role=t.role, participant=t.participant[:200], blocks=t.blocks,
             text=turn_plain_text(t.blocks), starts_over=t.parent == ROOT)
        for i, t in enumerate(parsed.turns)
    ]
    branches = [(i, t.parent) for i, t in enumerate(parsed.turns) if t.parent is not None and 0 <= t.parent < i]
    return PreparedInterview(interview=interview, turns=turns, branches=branches)


@transaction.atomic
def create_interview(*, contributor: User, parsed: ParsedInterview, **fields: Any) -> Interview:
    """Store one parsed interview with its turns; raises DuplicateInterview if the content is known.
    `fields` are prepare_interview's."""
    prepared = prepare_interview(contributor=contributor, parsed=parsed, **fields)
    interview = prepared.interview
    existing = Interview.objects.filter(content_hash=interview.content_hash).first()
    if existing:
        raise DuplicateInterview(existing)
    try:
        with transaction.atomic():
            interview.save()
    except IntegrityError:
        # Lost a race with a concurrent upload of the same content.
        raise DuplicateInterview(Interview.objects.get(content_hash=interview.content_hash)) from None
    _store_turns([prepared])
    record_audit(actor=contributor, verb="interview.create", target=interview,
                 data={"status": interview.status, "format": parsed.format})
    return interview


def store_prepared_interviews(prepared: list[PreparedInterview], *, actor: User) -> None:
    """Write many prepared interviews in a few statements (one per table), as a bulk import's batch does.
    The caller holds the transaction and has checked for duplicates; a concurrent upload of the same
    content makes this raise IntegrityError, and the caller falls back to storing one at a time.
    Each interview still announces itself (post_save, created) so the floors above hear of it as of any
    other new interview."""
    if not prepared:
        return
    Interview.objects.bulk_create([p.interview for p in prepared])
    _store_turns(prepared)
    AuditEvent.objects.bulk_create([
        audit_event(actor=actor, verb="interview.create", target=p.interview,
                    data={"status": p.interview.status, "format": p.interview.source_format})
        for p in prepared])
    for p in prepared:
        post_save.send(sender=Interview, instance=p.interview, created=True, update_fields=None, raw=False,
                       using=p.interview._state.db)


def _store_turns(prepared: list[PreparedInterview]) -> None:
    """Turns in order; a turn that branches from an earlier one points at it (set once both exist)."""
    for p in prepared:
        for turn in p.turns:
            turn.interview = p.interview
    Turn.objects.bulk_create([turn for p in prepared for turn in p.turns])
    branched = []
    for p in prepared:
        for child, parent in p.branches:
            p.turns[child].parent = p.turns[parent]
            branched.append(p.turns[child])
    if branched:
        Turn.objects.bulk_update(branched, ["parent"])


@transaction.atomic
def submit_interview(*, interview: Interview, actor: User) -> Interview:
    if interview.status != Interview.Status.DRAFT:
        raise ServiceError("Only a draft can be submitted.", "status")
    interview.status = Interview.Status.SUBMITTED
    interview.submitted_at = timezone.now()
    interview.save(update_fields=["status", "submitted_at"])
    record_audit(actor=actor, verb="interview.submit", target=interview)
    return interview


@transaction.atomic
def withdraw_interview(*, interview: Interview, actor: User, reason: str) -> Interview:
    """Hide an interview from the public; it is kept, with the reason, never deleted."""
    reason = reason.strip()
    if not reason:
        raise ServiceError("Give a reason for withdrawing.", "reason")
    if interview.status == Interview.Status.WITHDRAWN:
        raise ServiceError("This interview is already withdrawn.", "status")
    previous = interview.status
    interview.status = Interview.Status.WITHDRAWN
    interview.withdrawn_at = timezone.now()
    interview.withdrawal_reason = reason[:2000]
    interview.save(update_fields=["status", "withdrawn_at", "withdrawal_reason"])
    record_audit(actor=actor, verb="interview.withdraw", target=interview, data={"reason": reason, "previous_status": previous})
    return interview  # the status change schedules the agreement recompute (reviews/reliability/signals.py)
