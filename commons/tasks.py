"""Celery tasks: thin wrappers that load by id and call a service."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.utils.time import get_exponential_backoff_interval

from commons import jobs, locks, services
from commons.unavailable import DATABASE_DOWN

logger = logging.getLogger(__name__)



def retry_countdown(retries: int) -> int:
    return get_exponential_backoff_interval(factor=5, retries=retries, maximum=600, full_jitter=True)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=8)
def run_import_job(self, job_id: int) -> None:  # noqa: ANN001 - Celery's bound task
    """Run one import under its lock; a duplicate delivery finds it locked (or done) and does nothing.
    A database that goes away retries the job with backoff; anything else ends it as failed."""
    try:
        with locks.job_lock(jobs.import_lock_name(job_id)) as mine:
            if mine:
                services.run_import(job_id)
    except SoftTimeLimitExceeded:
        services.fail_import(job_id=job_id, error="The import took longer than the time limit; split the upload.")
    except DATABASE_DOWN as exc:
        logger.warning("import job %s: database unavailable, retrying: %r", job_id, exc)
        raise self.retry(exc=exc, countdown=retry_countdown(self.request.retries)) from exc
    except Exception as exc:  # noqa: BLE001 - a job must end in a visible state, whatever went wrong
        logger.exception("import job %s failed", job_id)
        services.fail_import(job_id=job_id, error=f"Internal error while importing: {type(exc).__name__}")


@shared_task(acks_late=True, ignore_result=True)
def sweep_import_jobs() -> list[int]:
    """Beat, every JOB_SWEEP_SECONDS: re-enqueue import jobs whose task is lost (commons/jobs.py)."""
    return jobs.sweep_import_jobs()
