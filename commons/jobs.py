"""Finding background jobs whose task is lost, and sending it again.

A job row says what should happen; its Celery message is how it happens. They fall out of step when
the message is lost after it was sent — Redis restarted without persistence or was flushed, the
worker was killed (its unacknowledged message only comes back after the visibility timeout), or the
task died with the database and could not record its failure. Beat runs `sweep_import_jobs` every
JOB_SWEEP_SECONDS (60): a job is lost when

- it is *queued*, older than JOB_QUEUED_GRACE_SECONDS (120), and the broker holds no message for it;
- it is *running* and nobody runs it: on PostgreSQL no session holds its advisory lock (the lock dies
  with a killed worker's connection), elsewhere it started longer ago than the task time limit; and
  the broker holds no message that will run it (one waiting in the queue, or a retry's countdown).

Re-sending is safe because the import is idempotent and runs under that lock: a duplicate delivery
finds the job done or locked and does nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from commons import broker, locks
from commons.conf import setting
from commons.models import ImportJob

logger = logging.getLogger(__name__)

ACTIVE = (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING)


def import_lock_name(job_id: int) -> str:
    return f"import-job-{job_id}"


def queued_grace() -> timedelta:
    return timedelta(seconds=int(setting("JOB_QUEUED_GRACE_SECONDS", 120)))


def runner_alive(lock_name: str, started_at: datetime | None) -> bool:
    """Someone is running the job: it holds the lock (PostgreSQL), or it started within the time limit."""
    if locks.has_advisory_locks():
        return locks.is_held(lock_name)
    limit = timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
    return started_at is not None and started_at > timezone.now() - limit


def is_lost(*, status: str, created_at: datetime, started_at: datetime | None, lock_name: str,
            pending: str | None, can_see_broker: bool) -> bool:
    """The rule above, for one job; `pending` is what the broker holds for it (commons.broker)."""
    if status == "queued":
        return can_see_broker and pending is None and created_at < timezone.now() - queued_grace()
    will_run = pending in {broker.WAITING, broker.SCHEDULED}
    return not will_run and not runner_alive(lock_name, started_at)


def sweep_import_jobs() -> list[int]:
    """Re-enqueue every import job whose task is lost; returns their ids."""
    from commons.tasks import run_import_job

    pending = broker.pending_messages(run_import_job.name)
    lost = [
        job["pk"] for job in ImportJob.objects.filter(status__in=ACTIVE).values("pk", "status", "created_at",
                                                                                "started_at")
        if is_lost(status=job["status"], created_at=job["created_at"], started_at=job["started_at"],
                   lock_name=import_lock_name(job["pk"]), pending=(pending or {}).get(job["pk"]),
                   can_see_broker=pending is not None)
    ]
    resent = [pk for pk in lost if broker.try_enqueue(run_import_job, pk)]
    if resent:
        logger.warning("re-enqueued import jobs whose task was lost: %s", resent)
    return resent
