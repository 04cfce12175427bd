"""Bulk import through a real Celery worker process and Redis broker (CI runs this; it skips elsewhere)."""

from __future__ import annotations

import time

import pytest

from commons import services
from commons.models import ImportJob, Interview, TargetModel
from tests.fixtures.payloads import chat_line, jsonl

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def wait_for(job_id: int, timeout: float = 60) -> ImportJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = ImportJob.objects.get(pk=job_id)
        if job.status in {ImportJob.Status.DONE, ImportJob.Status.FAILED}:
            return job
        time.sleep(0.2)
    raise AssertionError(f"import {job_id} still {job.status} after {timeout} s")


def test_bulk_import_runs_in_a_real_worker(celery_worker_process, make_user):
    owner = make_user("bulk@example.org")
    data = jsonl([chat_line(n, model="worker-model") for n in range(40)] + ["not json at all {"])
    job = services.start_import(owner=owner, filename="rows.jsonl", data=data, defaults=services.ImportDefaults())
    assert job.status == ImportJob.Status.QUEUED  # nothing ran in this process
    job = wait_for(job.pk)
    assert job.status == ImportJob.Status.DONE, job.error
    assert (job.total, job.accepted, job.rejected) == (41, 40, 1)
    assert job.report[-1]["status"] == "rejected" and "line 41" in job.report[-1]["location"] + job.report[-1]["message"]
    assert Interview.objects.filter(import_job=job).count() == 40
    assert TargetModel.objects.filter(name="worker-model").count() == 1

    # Running the same job again (as a redelivered task would) adds nothing and reports the same outcome.
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING)
    from commons.tasks import run_import_job

    run_import_job.delay(job.pk)
    time.sleep(0.5)
    again = wait_for(job.pk)
    assert (again.accepted, again.duplicates, again.rejected) == (40, 0, 1)
    assert Interview.objects.count() == 40
