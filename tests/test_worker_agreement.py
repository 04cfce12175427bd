"""Fault test on a real Celery worker: SIGKILL the worker (its whole process group) while it recomputes
agreement; a new worker picks the task up again (acks_late) and the result is present, correct and
written once.

The first worker is slowed down deterministically with RELIABILITY_TEST_DELAY_SECONDS (a pause
after computing, before writing), so the kill lands mid-task. The second worker runs with a one-second
Redis visibility timeout, so the dead worker's unacknowledged message is redelivered at once instead
of after the default hour.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import krippendorff
import numpy as np
import pytest
from django.conf import settings as django_settings
from django.db import transaction

from commons.models import AuditEvent
from reviews.reliability import conf, selectors, services
from reviews.reliability.models import AgreementResult, RecomputeRequest
from reviews.reliability.slicing import Params, build_slices, fingerprint, slice_statistics
from tests import factories
from tests.fixtures.environment import REPO, port_open, require

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

WARMTH = [(2, 3, 2.5), (8, 7, 9), (5, 4, 6), (1, 0, 1.5), (6, 9, 6.5), (3, 7, 4)]
WORKER_ARGS = ["worker", "--loglevel=WARNING", "--concurrency=1", "--pool=prefork", "--without-heartbeat",
               "--without-gossip", "--without-mingle", "--hostname=agreement-%d@%%h"]


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@pytest.fixture
def start_worker(transactional_db, settings, tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen]]:
    """Start `celery worker` processes on the Redis broker, pointed at the test database."""
    require(bool(django_settings.CELERY_BROKER_URL) and port_open("127.0.0.1", 6379),
            "a Redis broker (set CELERY_BROKER_URL) is needed for the worker tests")
    db = django_settings.DATABASES["default"]
    require(db["ENGINE"].endswith("postgresql"), "the worker tests share the test database through PostgreSQL")
    from commons.celery import app

    started: list[subprocess.Popen] = []

    def start(n: int, *, delay: float = 0, visibility_timeout: int | None = None) -> subprocess.Popen:
        env = dict(os.environ)
        env["DATABASE_URL"] = (f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:"
                               f"{db['PORT'] or 5432}/{db['NAME']}")
        env["CELERY_TASK_ALWAYS_EAGER"] = "0"
        env["RELIABILITY_DEBOUNCE_SECONDS"] = "0"
        env.pop("RELIABILITY_TEST_DELAY_SECONDS", None)
        if delay:
            env["RELIABILITY_TEST_DELAY_SECONDS"] = str(delay)
        options = f"app.conf.broker_transport_options = {{'visibility_timeout': {visibility_timeout}}}; " \
            if visibility_timeout else ""
        code = (f"from commons.celery import app; {options}"
                f"app.worker_main({[a.replace('%d', str(n)) for a in WORKER_ARGS]!r})")
        log = open(tmp_path / f"worker-{n}.log", "wb")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen([sys.executable, "-c", code], cwd=REPO, env=env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        started.append(proc)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError("worker exited: " + (tmp_path / f"worker-{n}.log").read_text()[-2000:])
            replies = app.control.ping(timeout=0.5)
            if any(f"agreement-{n}@" in name for reply in replies for name in reply):
                return proc
        raise RuntimeError(f"worker {n} did not answer pings within 30 s")

    app.conf.task_always_eager = False
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.RELIABILITY_DEBOUNCE_SECONDS = 0
    app.control.purge()
    yield start
    for proc in started:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
    app.control.purge()
    app.conf.task_always_eager = True


def test_a_killed_worker_leaves_one_correct_result(start_worker, curator, contributor, settings) -> None:
    world = factories.make_world(curator, contributor)
    # Three model judges, one replicate each: three raters (made through the review service for judges).
    judges = [factories.judge(f"Judge {i}") for i in range(3)]
    for values in WARMTH:
        interview = world.interview()
        for judge, value in zip(judges, values):
            world.judge_review(judge, interview, 0, {"warmth": value})
    version = world.interval
    # Whatever the review service may already have scheduled in-process, start from a clean slate.
    AgreementResult.objects.all().delete()
    AuditEvent.objects.filter(verb=services.AUDIT_VERB).delete()
    RecomputeRequest.objects.all().delete()

    first = start_worker(1, delay=120)
    with transaction.atomic():
        services.schedule_recompute([version.pk])  # enqueued to Redis when this commits
    wait_for(lambda: RecomputeRequest.objects.filter(pk=version.pk, runs=1).exists(), 30, "the worker to start")
    time.sleep(0.5)  # into the computation: it pauses between computing and writing
    assert not AgreementResult.objects.filter(metric_version=version).exists()

    os.killpg(first.pid, signal.SIGKILL)  # the worker and its pool child, mid-task, without acknowledging
    first.wait(timeout=10)
    time.sleep(1.5)  # older than the next worker's visibility timeout, so it is redelivered at once

    start_worker(2, visibility_timeout=1)
    wait_for(lambda: RecomputeRequest.objects.filter(pk=version.pk, written_run__gte=2).exists(), 60,
             "the new worker to redo the task")
    time.sleep(2)  # a duplicate delivery, if any, would have run by now

    request = RecomputeRequest.objects.get(pk=version.pk)
    assert request.runs >= 2 and request.completed_requests == request.requests == 1
    # Computed once: one row per slice, one audit entry.
    assert AuditEvent.objects.filter(verb=services.AUDIT_VERB, target_id=str(version.pk)).count() == 1
    stored = {(r.audience, r.slice_type, r.slice_value): r for r in AgreementResult.objects.filter(metric_version=version)}
    assert len(stored) == AgreementResult.objects.filter(metric_version=version).count() > 0

    # Correct: the krippendorff package on the design ...
    matrix = np.array(WARMTH, dtype=float).T
    expected = krippendorff.alpha(reliability_data=matrix, level_of_measurement="interval")
    assert stored[("internal", "all", "")].alpha == pytest.approx(expected, abs=1e-9)
    # ... and every slice equal to a direct computation in this process.
    scale = selectors.scale_of(version)
    params = Params(conf.bootstrap_replicates(), conf.confidence())
    rows = selectors.current_ratings(version)
    units = selectors.unit_infos({r.unit for r in rows})
    labels = selectors.labels_for(rows, units)
    pieces = build_slices(rows, units, scale, labels)
    assert {p.key for p in pieces} == set(stored)
    for piece in pieces:
        fp = fingerprint(piece, scale, params)
        direct = slice_statistics(piece, scale, params, fp, labels, with_raters=False, max_pairwise_raters=0)
        result = stored[piece.key]
        assert result.inputs_fingerprint == fp
        assert (result.alpha, result.ci_low, result.ci_high) == (direct.alpha.alpha, direct.interval.low,
                                                                 direct.interval.high)
        assert result.n_pairable_values == direct.alpha.n_pairable_values
