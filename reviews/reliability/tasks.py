"""Celery tasks for agreement: thin, idempotent, acknowledged late, retried with backoff."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import InterfaceError, OperationalError

from reviews.reliability import conf, services

logger = logging.getLogger(__name__)


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,  # a killed worker's task goes back to the queue, not lost
    autoretry_for=(OperationalError, InterfaceError, ConnectionError),
    retry_backoff=5,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=8,
    soft_time_limit=conf.task_soft_time_limit(),
    time_limit=conf.task_time_limit(),
)
def recompute_metric_agreement(metric_version_id: int) -> None:
    """Recompute one metric version's agreement; safe to run twice (unchanged inputs write nothing)."""
    try:
        services.recompute_metric_version(metric_version_id=metric_version_id)
    except SoftTimeLimitExceeded:
        # Retrying would only time out again; the request stays pending for `recompute_agreement --pending`.
        logger.error("agreement recompute of metric version %s exceeded its time limit", metric_version_id)


@shared_task(acks_late=True, ignore_result=True)
def sweep_pending_recomputes() -> list[int]:
    """Beat, every JOB_SWEEP_SECONDS: enqueue agreement recomputes whose task is lost or never went out."""
    return services.enqueue_lost_requests()
