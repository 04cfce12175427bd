"""When to rebuild the explorer's aggregates.

With a broker (production), a trigger (a review submitted, an interview published or withdrawn,
agreement recomputed) enqueues one debounced Celery task after commit; page views check the inputs
at most once a minute and enqueue one too if they moved on (writes that bypass signals, such as bulk
imports, are caught that way). Without a broker (the embedded default, tasks in-process), triggers
only note that a refresh is due and the next page view runs it, so a bulk import is not followed by
one rebuild per row.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from commons.broker import try_enqueue
from reviews.explorer import materialize

REQUESTED_KEY = "explorer:refresh-requested"
CHECKED_KEY = "explorer:inputs-checked"
DEBOUNCE_SECONDS = 10
CHECK_EVERY_SECONDS = 60


def _in_process() -> bool:
    from commons.celery import app

    return bool(app.conf.task_always_eager or getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False))


def request_refresh() -> None:
    """Enqueue one refresh after the current transaction commits; a burst of requests makes one task."""
    if _in_process() or not cache.add(REQUESTED_KEY, True, timeout=10 * 60):
        return

    def enqueue() -> None:
        from reviews.explorer.tasks import refresh_explorer

        if not try_enqueue(refresh_explorer, countdown=DEBOUNCE_SECONDS):
            cache.delete(REQUESTED_KEY)  # broker down: the next page view's input check asks again

    transaction.on_commit(enqueue)


def clear_request() -> None:
    cache.delete(REQUESTED_KEY)


def check_inputs() -> None:
    """From a page view: refresh (in-process) or ask for a refresh (broker) if the inputs moved on."""
    if _in_process():
        if not materialize.is_current():
            materialize.refresh_aggregates()
        return
    if not cache.add(CHECKED_KEY, True, timeout=CHECK_EVERY_SECONDS):
        return
    if not materialize.is_current():
        request_refresh()
