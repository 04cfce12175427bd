"""Sending tasks to a broker that may be down, and keeping a worker alive when it goes away.

A job row and its task must never be out of step. Work that a person is waiting for (an import, a
release build) is enqueued with `enqueue_on_commit(..., on_failure=...)`: if the broker refuses the
message, `on_failure` marks the row failed with a message saying so and `QueueUnavailable` is
raised, which pages and the API answer with a 503 (commons/unavailable.py). Work that something
else brings back anyway (an explorer refresh, which page views ask for again) uses `try_enqueue`,
which logs and carries on. Jobs whose message is lost after it was sent (Redis restarted without
persistence, a worker killed) are found by the sweeper (commons/jobs.py).
"""

from __future__ import annotations

import atexit
import base64
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from functools import partial
from typing import Any

import kombu.exceptions
from celery import Task
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, transaction
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

BROKER_ERRORS: tuple[type[BaseException], ...] = (
    kombu.exceptions.OperationalError, RedisConnectionError, RedisTimeoutError, OSError)
UNAVAILABLE_MESSAGE = ("The background queue is unavailable right now, so this was not started. "
                       "Nothing was lost: try again in a few minutes.")


class QueueUnavailable(Exception):
    """The broker did not take a task that a person is waiting for (answered with a 503)."""

    def __init__(self, message: str = UNAVAILABLE_MESSAGE) -> None:
        super().__init__(message)
        self.message = message


RETRY_SECONDS = 5.0
_down_until = [0.0]  # after a refusal, this process does not try the broker again for RETRY_SECONDS


def send(task: Task, *args: Any, **options: Any) -> None:
    """Publish, or raise one of BROKER_ERRORS. During an outage every save asks for an explorer refresh
    and every review for agreement recomputes, so after one refusal the next RETRY_SECONDS fail at
    once instead of each waiting for a connection attempt."""
    if time.monotonic() < _down_until[0]:
        raise kombu.exceptions.OperationalError("the broker refused a message less than a few seconds ago")
    try:
        if args:
            task.apply_async(args=args, **options)
        else:
            task.apply_async(**options)
    except BROKER_ERRORS:
        _down_until[0] = time.monotonic() + RETRY_SECONDS
        raise


def enqueue(task: Task, *args: Any, on_failure: Callable[[str], None], **options: Any) -> None:
    """Send `task` now. If the broker refuses it, call `on_failure(message)` (mark the job failed) and
    raise QueueUnavailable. With no broker (the embedded default) the job runs in a thread of this
    process, so the page that started it answers at once and its progress bar moves."""
    if _in_process_thread(task):
        _jobs_in_threads.start(task, args)
        return
    try:
        send(task, *args, **options)
    except BROKER_ERRORS as exc:
        logger.error("could not enqueue %s%r: %s", task.name, args, exc)
        on_failure(UNAVAILABLE_MESSAGE)
        raise QueueUnavailable() from exc


def enqueue_on_commit(task: Task, *args: Any, on_failure: Callable[[str], None], **options: Any) -> None:
    """`enqueue` once the current transaction commits (the task must never see uncommitted rows).

    Called outside `atomic()` the hook runs at once; inside, QueueUnavailable is raised when the
    outermost block commits, after the row it failed is saved."""
    transaction.on_commit(partial(enqueue, task, *args, on_failure=on_failure, **options))


IN_PROCESS_JOB_MODES = ("thread", "inline")


def _in_process_thread(task: Task) -> bool:
    """Tasks run in-process when no broker is configured. A job a person waits for (an import, a release
    build) then runs in a background thread (IN_PROCESS_JOBS=thread, the default); `inline` runs it in the
    caller, as tests do so they can look at the result straight away."""
    if not task.app.conf.task_always_eager:
        return False
    mode = settings.IN_PROCESS_JOBS
    if mode not in IN_PROCESS_JOB_MODES:
        raise ImproperlyConfigured(f"IN_PROCESS_JOBS={mode!r}: use one of {', '.join(IN_PROCESS_JOB_MODES)}.")
    return mode == "thread"


class _JobThreads:
    """Jobs of the embedded site, each in its own daemon thread. A command that started one (load_demo's
    release) waits for it at exit rather than leave the job half done."""

    EXIT_WAIT_SECONDS = 600.0

    def __init__(self) -> None:
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._waits_at_exit = False

    def start(self, task: Task, args: tuple[Any, ...]) -> None:
        thread = threading.Thread(target=self._run, args=(task, args), name=f"job-{task.name}", daemon=True)
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
            if not self._waits_at_exit:
                atexit.register(self.wait, self.EXIT_WAIT_SECONDS)
                self._waits_at_exit = True
        thread.start()

    @staticmethod
    def _run(task: Task, args: tuple[Any, ...]) -> None:
        try:
            task.apply(args=args)  # the task's own error handling marks its job failed
        finally:
            connections.close_all()  # this thread's connections, not the request's

    def wait(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))


_jobs_in_threads = _JobThreads()


def wait_for_in_process_jobs(timeout: float = _JobThreads.EXIT_WAIT_SECONDS) -> None:
    """Wait for the jobs this process runs in threads (a command that reports on what it started)."""
    _jobs_in_threads.wait(timeout)


def try_enqueue(task: Task, *args: Any, **options: Any) -> bool:
    """Send `task` if the broker takes it; otherwise log and return False (for work that is asked
    for again anyway, such as an explorer refresh)."""
    try:
        send(task, *args, **options)
    except BROKER_ERRORS as exc:
        logger.warning("could not enqueue %s%r, it will be asked for again: %s", task.name, args, exc)
        return False
    return True


MAX_INSPECTED = 10_000
WAITING, SCHEDULED, DELIVERED = "waiting", "scheduled", "delivered"
RANK = {WAITING: 0, SCHEDULED: 1, DELIVERED: 2}  # one job with several messages counts as its liveliest


def _first_arg(message: dict[str, Any], task_name: str) -> int | None:
    headers = message.get("headers") or {}
    if headers.get("task") != task_name:
        return None
    body = message.get("body", "")
    if (message.get("properties") or {}).get("body_encoding") == "base64":
        body = base64.b64decode(body)
    args = json.loads(body)[0]
    return args[0] if args and isinstance(args[0], int) else None


def _is_scheduled(message: dict[str, Any]) -> bool:
    eta = (message.get("headers") or {}).get("eta")
    if not eta:
        return False
    return datetime.fromisoformat(eta).astimezone(timezone.utc) > datetime.now(timezone.utc)


def _messages(client: Any, queue: str) -> Iterable[tuple[str, dict[str, Any]]] | None:
    if client.llen(queue) + client.hlen("unacked") > MAX_INSPECTED:
        return None
    found = [(WAITING, json.loads(raw)) for raw in client.lrange(queue, 0, MAX_INSPECTED)]
    for raw in client.hvals("unacked"):
        message = json.loads(raw)[0]
        found.append((SCHEDULED if _is_scheduled(message) else DELIVERED, message))
    return found


def pending_messages(task_name: str) -> dict[int, str] | None:
    """The messages of `task_name` the Redis broker holds, by their first argument (a job id): WAITING
    in the queue, SCHEDULED (taken by a worker, waiting for its countdown) or DELIVERED (taken, not
    acknowledged: running, or its worker died). None when that cannot be told (no Redis broker, Redis
    unreachable, or too many messages to look through)."""
    from commons.celery import app

    if app.conf.task_always_eager or not str(app.conf.broker_url or "").startswith(("redis://", "rediss://")):
        return None
    try:
        with app.connection_for_read() as connection:
            client = connection.default_channel.client
            found = _messages(client, app.conf.task_default_queue)
    except BROKER_ERRORS + (ValueError, KeyError, IndexError) as exc:
        logger.warning("could not look at the broker's messages: %r", exc)
        return None
    if found is None:
        return None
    pending: dict[int, str] = {}
    for state, message in found:
        job_id = _first_arg(message, task_name)
        if job_id is not None and RANK[state] < RANK[pending.get(job_id, DELIVERED)]:
            pending[job_id] = state
        elif job_id is not None:
            pending.setdefault(job_id, state)
    return pending


def keep_unacked_on_lost_connection() -> None:
    """Stop a worker from dying when Redis goes away while it holds unacknowledged messages.

    On a lost connection Celery closes the broken connection, and kombu's Redis channel then tries to
    push the worker's unacknowledged messages back onto the queue through that same, already
    dismantled connection: an AttributeError that Celery treats as unrecoverable, so the worker
    exits (measured: a worker holding ETA tasks died on a 10 s outage). The messages are safe where
    they are, in Redis's unacked set, and come back after the visibility timeout; so a restore that
    cannot reach Redis is logged and left to that, and the worker reconnects instead of exiting.
    """
    from kombu.transport import redis as kombu_redis

    original = kombu_redis.QoS.restore_unacked
    if getattr(original, "keeps_unacked", False):
        return

    def restore_unacked(self: kombu_redis.QoS, client: Any = None) -> Any:
        try:
            return original(self, client)
        except (AttributeError,) + BROKER_ERRORS as exc:
            logger.warning("broker unreachable: %d unacknowledged message(s) stay in Redis and are redelivered "
                           "after the visibility timeout (%r)", len(self._delivered), exc)
            self._delivered.clear()
            return None

    restore_unacked.keeps_unacked = True  # type: ignore[attr-defined]
    kombu_redis.QoS.restore_unacked = restore_unacked  # type: ignore[method-assign]  # the patch is the point
