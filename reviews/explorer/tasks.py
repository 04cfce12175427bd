"""Celery tasks: thin wrappers around the explorer's services."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from commons.tasks import retry_countdown
from commons.unavailable import DATABASE_DOWN
from reviews.explorer import materialize, refresh, releases, sweep

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=10)
def refresh_explorer(self, force: bool = False) -> str:
    refresh.clear_request()
    outcome = materialize.refresh_aggregates(force=force)
    if outcome == materialize.Outcome.BUSY:
        raise self.retry(countdown=30)
    if outcome == materialize.Outcome.DONE and not materialize.is_current():
        refresh.request_refresh()  # inputs changed while we worked
    return outcome


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=8)
def build_release(self, release_id: int) -> None:  # noqa: ANN001 - Celery's bound task
    """Build one release (idempotent, under its lock); the database going away retries it with backoff."""
    try:
        releases.build_release(release_id)
    except SoftTimeLimitExceeded:
        releases.fail_release(release_id=release_id, error="Building the release took longer than the time limit.")
    except DATABASE_DOWN as exc:
        logger.warning("release %s: database unavailable, retrying: %r", release_id, exc)
        raise self.retry(exc=exc, countdown=retry_countdown(self.request.retries)) from exc
    except Exception as exc:  # noqa: BLE001 - a release must end in a visible state, whatever went wrong
        logger.exception("release %s failed", release_id)
        releases.fail_release(release_id=release_id, error=f"Internal error: {type(exc).__name__}")


@shared_task(acks_late=True, ignore_result=True)
def sweep_release_builds() -> list[int]:
    """Beat, every JOB_SWEEP_SECONDS: re-enqueue lost release builds, delete dead builds' partial folders."""
    return sweep.sweep_release_builds()
