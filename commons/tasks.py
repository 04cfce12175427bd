"""Celery tasks: thin wrappers that load by id and call a service."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from commons import services

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def run_import_job(job_id: int) -> None:
    try:
        services.run_import(job_id)
    except SoftTimeLimitExceeded:
        services.fail_import(job_id=job_id, error="The import took longer than the time limit; split the upload.")
    except Exception as exc:  # noqa: BLE001 - a job must end in a visible state, whatever went wrong
        logger.exception("import job %s failed", job_id)
        services.fail_import(job_id=job_id, error=f"Internal error while importing: {type(exc).__name__}")
