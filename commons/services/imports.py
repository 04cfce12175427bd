"""Bulk import: store the upload, then save each item on its own in a background task."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import TypeVar

from django.conf import settings
from django.db import DatabaseError, models, transaction
from django.utils import timezone

from commons.broker import enqueue_on_commit
from commons.models import ImportJob, Interview, Interviewer, Study, TargetModel, User
from commons.services.audit import record_audit
from commons.services.errors import DuplicateInterview, MissingTargetModel, ServiceError
from commons.services.interviews import (
    PreparedInterview,
    content_hash,
    forget_lookups,
    remembered_lookups,
    store_prepared_interviews,
)
from commons.services.uploads import prepare_transcript, submit_transcript
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


MISSING_MODEL = ("target_model: The file does not name the target model and no default was chosen "
                 "(choose one on the upload form, or give --target-model NAME to import_interviews).")


@dataclass
class _Run:
    """What one run of an import knows across its batches."""

    contributor: User
    defaults: ImportDefaults
    job: ImportJob | None
    stored: set[int] = field(default_factory=set)  # interviews stored by this run, not by an earlier delivery
    study: Study | None = None
    target_model: TargetModel | None = None
    interviewer: Interviewer | None = None

    @classmethod
    def start(cls, *, contributor: User, defaults: ImportDefaults, job: ImportJob | None) -> _Run:
        """The uploader's defaults looked up once for the whole run, not once an item."""
        return cls(contributor=contributor, defaults=defaults, job=job, study=_by_id(Study, defaults.study_id),
                   target_model=_by_id(TargetModel, defaults.target_model_id),
                   interviewer=_by_id(Interviewer, defaults.interviewer_id))


def _row(outcome: ItemOutcome, **fields: object) -> dict:
    """An item's report row: where it was, what became of it, why, and the interview it is."""
    return {"location": outcome.location, "status": "", "message": "", "interview": None, **fields}


def _rejected(outcome: ItemOutcome, error: ServiceError) -> dict:
    message = MISSING_MODEL if isinstance(error, MissingTargetModel) else f"{error.field}: {error.message}"
    return _row(outcome, status="rejected", message=message)


def _duplicate_row(row: dict, *, existing_pk: int, existing_job_id: int | None, existing_owner_id: int,
                   run: _Run) -> dict:
    if run.job is not None and existing_job_id == run.job.pk and existing_pk not in run.stored:
        # A redelivered task meets its own earlier work: report it as accepted, not as a duplicate.
        run.stored.add(existing_pk)
        return {**row, "status": "accepted", "message": "", "interview": existing_pk}
    if existing_pk in run.stored:
        return {**row, "status": "duplicate", "message": f"the same interview as an earlier item of this upload "
                                                         f"(interview {existing_pk})", "interview": existing_pk}
    own = existing_owner_id == run.contributor.pk
    return {**row, "status": "duplicate",
            "message": f"already stored as your interview {existing_pk}" if own else "already in the commons",
            "interview": existing_pk if own else None}


def _unusable_row(outcome: ItemOutcome) -> dict | None:
    if outcome.skipped:
        return _row(outcome, status="skipped", message=outcome.skipped)
    if outcome.error is not None or outcome.interview is None:
        return _row(outcome, status="rejected", message=str(outcome.error or "unreadable item"))
    return None


def import_one(*, outcome: ItemOutcome, contributor: User, defaults: ImportDefaults,
               job: ImportJob | None = None, run: _Run | None = None) -> dict:
    """Save one parsed item atomically; returns its report row. Never raises for bad items."""
    run = run or _Run.start(contributor=contributor, defaults=defaults, job=job)
    row = _import_one(outcome=outcome, run=run)
    if row["status"] != "accepted":
        forget_lookups()  # the item's savepoint rolled back: a model it created may be gone
    return row


def _import_one(*, outcome: ItemOutcome, run: _Run) -> dict:
    unusable = _unusable_row(outcome)
    if unusable is not None:
        return unusable
    parsed = outcome.interview
    assert parsed is not None
    defaults = run.defaults
    try:
        # What the file names wins; the uploader's defaults only fill in what it leaves out.
        interview = submit_transcript(
            contributor=run.contributor, parsed=parsed, filename=outcome.location, import_job=run.job,
            target_model=None if parsed.target_model else run.target_model,
            interviewer=None if parsed.interviewer else run.interviewer,
            study=run.study, licence=defaults.licence, visibility=defaults.visibility, submit=defaults.submit,
        )
    except DuplicateInterview as dup:
        return _duplicate_row(_row(outcome), existing_pk=dup.existing.pk, existing_job_id=dup.existing.import_job_id,
                              existing_owner_id=dup.existing.contributor_id, run=run)
    except ServiceError as err:  # MissingTargetModel included
        return _rejected(outcome, err)
    run.stored.add(interview.pk)
    return _row(outcome, status="accepted", interview=interview.pk)


@dataclass
class _Batch:
    """What a batch's items are checked against: contents already stored, and contents earlier in the batch."""

    digests: dict[int, str]
    known: dict[str, tuple[int, int | None, int]]
    first: dict[str, int] = field(default_factory=dict)


def prepare_one(*, outcome: ItemOutcome, index: int, run: _Run, batch: _Batch) -> dict | PreparedInterview | None:
    """Check one item of a batch: its report row if it is not to be stored (skipped, rejected, duplicate),
    else the interview prepared for writing; None when it repeats an earlier item of the same batch (it is
    reported once that item has an id)."""
    unusable = _unusable_row(outcome)
    if unusable is not None:
        return unusable
    parsed, digest = outcome.interview, batch.digests[index]
    assert parsed is not None
    if digest in batch.known:
        pk, job_id, owner_id = batch.known[digest]
        return _duplicate_row(_row(outcome), existing_pk=pk, existing_job_id=job_id, existing_owner_id=owner_id,
                              run=run)
    if digest in batch.first:
        return None
    try:
        item = prepare_transcript(
            contributor=run.contributor, parsed=parsed, filename=outcome.location, import_job=run.job,
            target_model=None if parsed.target_model else run.target_model,
            interviewer=None if parsed.interviewer else run.interviewer, study=run.study,
            licence=run.defaults.licence, visibility=run.defaults.visibility, submit=run.defaults.submit)
    except ServiceError as err:  # MissingTargetModel included
        return _rejected(outcome, err)
    batch.first[digest] = index
    return item


def _import_batch(outcomes: list[ItemOutcome], run: _Run) -> list[dict]:
    """Check every item of a batch in Python, then write the good ones together (a few statements for the
    whole batch instead of ~10 per item). Only a database error can fail the write (a concurrent upload of
    the same content, say): then the batch is undone and redone one item at a time, each in its own
    savepoint, so one bad item still fails alone."""
    digests = {i: content_hash(o.interview) for i, o in enumerate(outcomes)
               if _unusable_row(o) is None and o.interview is not None}
    stored = Interview.objects.filter(content_hash__in=set(digests.values())).values_list(
        "content_hash", "pk", "import_job_id", "contributor_id")
    known: dict[str, tuple[int, int | None, int]] = {h: (pk, job_id, owner_id) for h, pk, job_id, owner_id in stored}
    batch = _Batch(digests=digests, known=known)
    checked: list[dict | PreparedInterview | None] = []
    try:
        with transaction.atomic():
            for i, outcome in enumerate(outcomes):
                checked.append(prepare_one(outcome=outcome, index=i, run=run, batch=batch))
            store_prepared_interviews([c for c in checked if isinstance(c, PreparedInterview)], actor=run.contributor)
    except DatabaseError:
        forget_lookups()  # the batch's savepoint is gone, and with it any model created for it
        return [import_one(outcome=o, contributor=run.contributor, defaults=run.defaults, job=run.job, run=run)
                for o in outcomes]
    rows: list[dict] = []
    for i, (outcome, result) in enumerate(zip(outcomes, checked, strict=True)):
        if isinstance(result, PreparedInterview):
            run.stored.add(result.interview.pk)
            rows.append(_row(outcome, status="accepted", interview=result.interview.pk))
        elif result is None:  # the same content as an earlier item of this batch, stored just now
            first = checked[batch.first[digests[i]]]
            assert isinstance(first, PreparedInterview)
            rows.append(_duplicate_row(_row(outcome), existing_pk=first.interview.pk, existing_job_id=None,
                                       existing_owner_id=run.contributor.pk, run=run))
        else:
            rows.append(result)
    return rows


def import_items(*, outcomes: Iterable[ItemOutcome], contributor: User, defaults: ImportDefaults,
                 job: ImportJob | None = None, progress: Callable[[dict], None] | None = None) -> list[dict]:
    """Save the items in batches of IMPORT_BATCH_SIZE, one transaction a batch. Within a batch the good
    items are written together; an item that fails is reported alone, and a crash loses at most the open
    batch, which a rerun redoes (a job meets its own stored items as accepted). The same content twice in
    one upload is accepted once and reported as a duplicate of that item the second time."""
    run = _Run.start(contributor=contributor, defaults=defaults, job=job)
    report = []
    with remembered_lookups():
        for batch in batched(outcomes, settings.IMPORT_BATCH_SIZE):
            with transaction.atomic():
                rows = _import_batch(batch, run)
            for row in rows:
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
