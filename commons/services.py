"""Writes: every function that changes state lives here, each in one transaction.

Views, API views, tasks and management commands call these; they never write models directly.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from commons.broker import enqueue_on_commit
from commons.models import ApiToken, AuditEvent, ImportJob, Interview, Interviewer, Study, TargetModel, Turn, User
from commons.transcripts import ItemOutcome, Limits, ParsedInterview, TranscriptError, parse, parse_items
from commons.transcripts.types import ROOT, InterviewerInfo, ModelInfo


class ServiceError(ValueError):
    """A request that cannot be carried out; `field` names the offending input."""

    def __init__(self, message: str, field: str = "non_field_errors") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class DuplicateInterview(ServiceError):
    def __init__(self, existing: Interview) -> None:
        # The message never names the existing interview: the uploader may not be allowed to see it.
        super().__init__("This transcript is already in the commons.", "transcript")
        self.existing = existing


def transcript_limits() -> Limits:
    return Limits(
        max_bytes=settings.TRANSCRIPT_MAX_BYTES,
        max_json_depth=settings.TRANSCRIPT_MAX_JSON_DEPTH,
        max_archive_entries=settings.IMPORT_MAX_ARCHIVE_ENTRIES,
        max_archive_uncompressed_bytes=settings.IMPORT_MAX_UNCOMPRESSED_BYTES,
    )


def import_limits() -> Limits:
    return Limits(
        max_bytes=settings.IMPORT_MAX_BYTES,
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


def record_audit(*, actor: User | None, verb: str, target: object, data: dict | None = None) -> AuditEvent:
    return AuditEvent.objects.create(
        actor=actor,
        verb=verb,
        target_type=type(target).__name__,
        target_id=str(getattr(target, "pk", "")),
        data=data or {},
    )


# --- target models and interviewers -------------------------------------------------------


def get_or_create_target_model(*, info: ModelInfo, created_by: User | None) -> TargetModel:
    """Match by API identifier first, then by name; create when neither is known."""
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
    interviewer, _ = Interviewer.objects.get_or_create(
        name=info.name[:200], kind=kind, stance=info.stance[:200], defaults={"created_by": created_by}
    )
    return interviewer


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


@transaction.atomic
def create_interview(
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
) -> Interview:
    """Store one parsed interview with its turns; raises DuplicateInterview if the content is known."""
    if not parsed.turns:
        raise ServiceError("The transcript has no turns.", "transcript")
    digest = content_hash(parsed)
    existing = Interview.objects.filter(content_hash=digest).first()
    if existing:
        raise DuplicateInterview(existing)
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
        content_hash=digest,
        import_job=import_job,
        submitted_at=now if submit else None,
    )
    try:
        with transaction.atomic():
            interview.save()
    except IntegrityError:
        # Lost a race with a concurrent upload of the same content.
        raise DuplicateInterview(Interview.objects.get(content_hash=digest)) from None
    turns = [
        Turn(interview=interview, index=i, role=t.role, participant=t.participant[:200],
             blocks=t.blocks, text=turn_plain_text(t.blocks), starts_over=t.parent == ROOT)
        for i, t in enumerate(parsed.turns)
    ]
    Turn.objects.bulk_create(turns)
    branched = [(turns[i], turns[t.parent]) for i, t in enumerate(parsed.turns)
                if t.parent is not None and 0 <= t.parent < i]
    if branched:
        for child, parent in branched:
            child.parent = parent
        Turn.objects.bulk_update([child for child, _ in branched], ["parent"])
    record_audit(actor=contributor, verb="interview.create", target=interview,
                 data={"status": interview.status, "format": parsed.format})
    return interview


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


# --- accounts -----------------------------------------------------------------------------

TOKEN_PREFIX = "rc_"


def hash_token(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@transaction.atomic
def create_api_token(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Returns the token row and the key, which is never stored and cannot be shown again."""
    name = name.strip()
    if not name:
        raise ServiceError("Name the token (e.g. the script that will use it).", "name")
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name[:100], prefix=key[:10], key_hash=hash_token(key))
    record_audit(actor=user, verb="token.create", target=token, data={"name": token.name})
    return token, key


@transaction.atomic
def revoke_api_token(*, token: ApiToken, actor: User) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record_audit(actor=actor, verb="token.revoke", target=token)
    return token


ROLES = ("reviewer", "curator")


@transaction.atomic
def set_role(*, user: User, role: str, granted: bool, actor: User | None) -> User:
    if role not in ROLES:
        raise ServiceError(f"Unknown role “{role}”; choose one of {', '.join(ROLES)}.", "role")
    setattr(user, f"is_{role}", granted)
    user.save(update_fields=[f"is_{role}"])
    record_audit(actor=actor, verb="role.grant" if granted else "role.revoke", target=user, data={"role": role})
    return user


# --- bulk import --------------------------------------------------------------------------


@dataclass
class ImportDefaults:
    """What the uploader chose for items whose file does not say."""

    licence: str = Interview._meta.get_field("licence").default
    visibility: str = Interview.Visibility.PUBLIC
    study_id: int | None = None
    target_model_id: int | None = None
    interviewer_id: int | None = None
    submit: bool = True

    @classmethod
    def from_json(cls, data: dict) -> ImportDefaults:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


def import_one(*, outcome: ItemOutcome, contributor: User, defaults: ImportDefaults,
               job: ImportJob | None = None) -> dict:
    """Save one parsed item atomically; returns its report row. Never raises for bad items."""
    row = {"location": outcome.location, "status": "", "message": "", "interview": None}
    if outcome.skipped:
        return {**row, "status": "skipped", "message": outcome.skipped}
    if outcome.error is not None or outcome.interview is None:
        return {**row, "status": "rejected", "message": str(outcome.error or "unreadable item")}
    parsed = outcome.interview
    try:
        with transaction.atomic():
            if parsed.target_model:
                target = get_or_create_target_model(info=parsed.target_model, created_by=contributor)
            elif defaults.target_model_id:
                target = TargetModel.objects.get(pk=defaults.target_model_id)
            else:
                raise ServiceError("The file does not name the target model and no default was chosen.", "target_model")
            if parsed.interviewer:
                interviewer = get_or_create_interviewer(info=parsed.interviewer, created_by=contributor)
            elif defaults.interviewer_id:
                interviewer = Interviewer.objects.get(pk=defaults.interviewer_id)
            else:
                interviewer = None
            study = Study.objects.get(pk=defaults.study_id) if defaults.study_id else None
            interview = create_interview(
                contributor=contributor, parsed=parsed, target_model=target, interviewer=interviewer, study=study,
                licence=defaults.licence, visibility=defaults.visibility, submit=defaults.submit,
                source_filename=outcome.location, import_job=job,
            )
    except DuplicateInterview as dup:
        if job is not None and dup.existing.import_job_id == job.pk:
            # A redelivered task meets its own earlier work: report it as accepted, not as a duplicate.
            return {**row, "status": "accepted", "message": "", "interview": dup.existing.pk}
        own = dup.existing.contributor_id == contributor.pk
        return {**row, "status": "duplicate",
                "message": f"already stored as your interview {dup.existing.pk}" if own else "already in the commons",
                "interview": dup.existing.pk if own else None}
    except ServiceError as err:
        return {**row, "status": "rejected", "message": f"{err.field}: {err.message}"}
    return {**row, "status": "accepted", "interview": interview.pk}


def import_items(*, outcomes: Iterable[ItemOutcome], contributor: User, defaults: ImportDefaults,
                 job: ImportJob | None = None, progress: Callable[[dict], None] | None = None) -> list[dict]:
    report = []
    for outcome in outcomes:
        row = import_one(outcome=outcome, contributor=contributor, defaults=defaults, job=job)
        report.append(row)
        if progress:
            progress(row)
    return report


def start_import(*, owner: User, filename: str, data: bytes, defaults: ImportDefaults) -> ImportJob:
    """Store the upload and enqueue its processing once the row is committed."""
    from commons.tasks import run_import_job

    if len(data) > settings.IMPORT_MAX_BYTES:
        raise ServiceError(f"The upload is {len(data):,} bytes; the limit is {settings.IMPORT_MAX_BYTES:,}.", "file")
    if not data:
        raise ServiceError("The uploaded file is empty.", "file")
    with transaction.atomic():
        job = ImportJob.objects.create(owner=owner, filename=filename[:500], upload=data, size=len(data),
                                       options=defaults.__dict__)
        record_audit(actor=owner, verb="import.start", target=job, data={"filename": filename, "size": len(data)})
        # Broker down: the job is marked failed, saying so, and QueueUnavailable (a 503) is raised.
        enqueue_on_commit(run_import_job, job.pk, on_failure=lambda error: fail_import(job_id=job.pk, error=error))
    return job


def run_import(job_id: int) -> ImportJob:
    """Process a bulk upload. Safe to run again after a crash: stored items come back as accepted.
    A job already done or failed is left alone. Call it holding the job's lock (commons.tasks)."""
    active = [ImportJob.Status.QUEUED, ImportJob.Status.RUNNING]
    claimed = ImportJob.objects.filter(pk=job_id, status__in=active).update(
        status=ImportJob.Status.RUNNING, started_at=timezone.now(), processed=0, accepted=0, duplicates=0,
        rejected=0, skipped=0, report=[])
    job = ImportJob.objects.get(pk=job_id)
    if not claimed:
        return job
    outcomes = list(parse_items(bytes(job.upload), filename=job.filename, limits=import_limits()))
    ImportJob.objects.filter(pk=job_id).update(total=len(outcomes))
    counters = {"accepted": 0, "duplicate": 0, "rejected": 0, "skipped": 0}
    report: list[dict] = []
    last_flush = timezone.now()

    def progress(row: dict) -> None:
        nonlocal last_flush
        report.append(row)
        counters[row["status"]] += 1
        now = timezone.now()
        if (now - last_flush).total_seconds() >= 0.5 or len(report) == len(outcomes):
            last_flush = now
            ImportJob.objects.filter(pk=job_id).update(
                processed=len(report), accepted=counters["accepted"], duplicates=counters["duplicate"],
                rejected=counters["rejected"], skipped=counters["skipped"])

    owner = job.owner
    import_items(outcomes=outcomes, contributor=owner, defaults=ImportDefaults.from_json(job.options), job=job,
                 progress=progress)
    ImportJob.objects.filter(pk=job_id).update(
        status=ImportJob.Status.DONE, finished_at=timezone.now(), report=report, processed=len(report),
        accepted=counters["accepted"], duplicates=counters["duplicate"], rejected=counters["rejected"],
        skipped=counters["skipped"])
    job.refresh_from_db()
    record_audit(actor=owner, verb="import.finish", target=job,
                 data={k: getattr(job, k) for k in ("accepted", "duplicates", "rejected", "skipped")})
    return job


def fail_import(*, job_id: int, error: str) -> None:
    ImportJob.objects.filter(pk=job_id).update(status=ImportJob.Status.FAILED, error=error[:2000],
                                               finished_at=timezone.now())


def touch_token(token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())

