"""When to rebuild the explorer's aggregates. Reads never write: no page view starts a rebuild.

A trigger (a review submitted, judge scores imported, an interview published or withdrawn,
agreement recomputed) requests one debounced rebuild after commit:
- with a broker (production), one Celery task; Celery beat also runs `refresh_explorer` periodically,
  which catches writes that bypass signals (bulk SQL) and costs nothing when the inputs are unchanged;
- without one (the embedded default, tasks in-process), one daemon thread of this process waits for
  the burst to end and rebuilds, so a bulk import of hundreds of rows is followed by one rebuild, not
  one per row. EXPLORER_IN_PROCESS_REFRESH chooses: "thread" (default), "inline" (at commit, in the
  committing request) or "off" (nothing rebuilds by itself: the test suite, which builds worlds
  around the services and refreshes where a test needs it).
A page that reads aggregates older than the inputs computes them live and says so.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db import close_old_connections, connections, transaction

from commons.broker import try_enqueue
from commons.conf import setting
from reviews.explorer import materialize

logger = logging.getLogger(__name__)

REQUESTED_KEY = "explorer:refresh-requested"
DEBOUNCE_SECONDS = 10
THREAD_DEBOUNCE_SECONDS = 1.0
EXIT_WAIT_SECONDS = 300.0


def _in_process() -> bool:
    from commons.celery import app

    return bool(app.conf.task_always_eager or getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False))


def request_refresh() -> None:
    """Rebuild once after the current transaction commits; a burst of requests makes one rebuild."""
    if _in_process():
        transaction.on_commit(_refresh_in_process)
        return
    if not cache.add(REQUESTED_KEY, True, timeout=10 * 60):
        return

    def enqueue() -> None:
        from reviews.explorer.tasks import refresh_explorer

        if not try_enqueue(refresh_explorer, countdown=DEBOUNCE_SECONDS):
            cache.delete(REQUESTED_KEY)  # broker down: the next trigger, or beat's periodic refresh, asks again

    transaction.on_commit(enqueue)


def clear_request() -> None:
    cache.delete(REQUESTED_KEY)


IN_PROCESS_MODES = ("thread", "inline", "off")


def _refresh_in_process() -> None:
    mode = setting("EXPLORER_IN_PROCESS_REFRESH", "thread")
    if mode not in IN_PROCESS_MODES:
        raise ImproperlyConfigured(f"EXPLORER_IN_PROCESS_REFRESH={mode!r}: use one of {', '.join(IN_PROCESS_MODES)}.")
    if mode == "thread":
        _background.request()
    elif mode == "inline":
        materialize.refresh_aggregates()


class _BackgroundRefresher:
    """One daemon thread per process; requests while it waits or works make exactly one more pass."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending = False
        self._thread: threading.Thread | None = None
        self._waits_at_exit = False

    def request(self) -> None:
        with self._lock:
            self._pending = True
            if self._thread is not None and self._thread.is_alive():
                return
            self._thread = threading.Thread(target=self._drain, name="explorer-refresh", daemon=True)
            self._thread.start()
            if not self._waits_at_exit:
                # A command (load_demo, import_interviews) must not exit mid-rebuild and leave the claim behind.
                atexit.register(self.wait_idle, EXIT_WAIT_SECONDS)
                self._waits_at_exit = True

    def _drain(self) -> None:
        try:
            while True:
                time.sleep(THREAD_DEBOUNCE_SECONDS)
                with self._lock:
                    if not self._pending:
                        self._thread = None
                        return
                    self._pending = False
                try:
                    close_old_connections()
                    materialize.refresh_aggregates()
                except Exception:  # noqa: BLE001 - the next trigger tries again; a page computes live meanwhile
                    logger.exception("explorer refresh in the background failed")
        finally:
            connections.close_all()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """For tests and commands: block until no refresh is pending or running."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if self._thread is None or not self._thread.is_alive():
                    return True
            time.sleep(0.05)
        return False


_background = _BackgroundRefresher()

