"""Bulk import: store the upload, then save each item on its own in a background task."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import TypeVar

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from commons.broker import enqueue_on_commit
from commons.models import ImportJob, Interview, Interviewer, Study, TargetModel, User
from commons.services.audit import record_audit
from commons.services.errors import DuplicateInterview, MissingTargetModel, ServiceError
from commons.services.interviews import forget_lookups, remembered_lookups
from commons.services.uploads import submit_transcript
from commons.transcripts import ItemOutcome, Limits, parse_items

M = TypeVar("M", bound=models.Model)
T = TypeVar("T")


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """itertools.batched, which needs Python 3.12."""
    it = iter(items)
    while batch := list(islice(it, max(1, size))):
        yield batch


def import_limits() -> Limits:
    return Limits(
        max_bytes=settings.IMPORT_MAX_BYTES,
        max_json_depth=settings.TRANSCRIPT_MAX_JSON_DEPTH,
        max_archive_entries=settings.IMPORT_MAX_ARCHIVE_ENTRIES,
        max_archive_uncompressed_bytes=settings.IMPORT_MAX_UNCOMPRESSED_BYTES,
    )


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


def _by_id(model: type[M], pk: int | None) -> M | None:
    return model._default_manager.get(pk=pk) if pk else None


def import_one(*, outcome: ItemOutcome, contributor: User, defaults: ImportDefaults,
               job: ImportJob | None = None) -> dict:
    """Save one parsed item atomically; returns its report row. Never raises for bad items."""
    row = _import_one(outcome=outcome, contributor=contributor, defaults=defaults, job=job)
    if row["status"] != "accepted":
        forget_lookups()  # the item's savepoint rolled back: a model it created may be gone
    return row


def _import_one(*, outcome: ItemOutcome, contributor: User, defaults: ImportDefaults,
                job: ImportJob | None = None) -> dict:
    row = {"location": outcome.location, "status": "", "message": "", "interview": None}
    if outcome.skipped:
        return {**row, "status": "skipped", "message": outcome.skipped}
    if outcome.error is not None or outcome.interview is None:
        return {**row, "status": "rejected", "message": str(outcome.error or "unreadable item")}
    parsed = outcome.interview
    try:
        # What the file names wins; the uploader's defaults only fill in what it leaves out.
        interview = submit_transcript(
            contributor=contributor, parsed=parsed, filename=outcome.location, import_job=job,
            target_model=None if parsed.target_model else _by_id(TargetModel, defaults.target_model_id),
            interviewer=None if parsed.interviewer else _by_id(Interviewer, defaults.interviewer_id),
            study=_by_id(Study, defaults.study_id), licence=defaults.licence, visibility=defaults.visibility,
            submit=defaults.submit,
        )
    except MissingTargetModel:
        return {**row, "status": "rejected",
                "message": "target_model: The file does not name the target model and no default was chosen."}
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
    """Save the items in batches of IMPORT_BATCH_SIZE, one transaction a batch and a savepoint an item:
    an item that fails rolls back alone, and a crash loses at most the open batch, which a rerun redoes
    (a job meets its own stored items as accepted). Commits, not statements, bound the speed here."""
    report = []
    with remembered_lookups():
        for batch in batched(outcomes, settings.IMPORT_BATCH_SIZE):
            with transaction.atomic():
                for outcome in batch:
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
