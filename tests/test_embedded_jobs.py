"""The embedded default (no broker, `make run`): a bulk upload runs in a background thread of the web
process, so the upload answers at once and the progress page moves, instead of the browser waiting for
the whole import."""

from __future__ import annotations

import threading
import time

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from commons import broker
from commons.models import ImportJob, Interview
from commons.services import imports
from tests.fixtures.payloads import chat_line, jsonl

pytestmark = pytest.mark.django_db(transaction=True)  # the job's thread has its own connection


def test_a_bulk_upload_answers_before_its_import_has_run(client, contributor, settings, monkeypatch):
    settings.IN_PROCESS_JOBS = "thread"
    release = threading.Event()
    real = imports.prepare_one

    def held(**kwargs):  # the import waits until the test has seen the page answer
        assert release.wait(30)
        return real(**kwargs)

    monkeypatch.setattr(imports, "prepare_one", held)
    client.force_login(contributor)
    started = time.monotonic()
    response = client.post(reverse("import_new"), {
        "file": SimpleUploadedFile("rows.jsonl", jsonl([chat_line(n) for n in range(30)])),
        "licence": "CC-BY-4.0", "visibility": "public"})
    assert response.status_code == 302 and time.monotonic() - started < 10
    job = ImportJob.objects.get()
    assert job.status in {"queued", "running"} and job.accepted == 0
    progress = client.get(reverse("import_detail", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert progress.status_code == 200 and 'id="import-progress"' in progress.content.decode()
    release.set()
    broker.wait_for_in_process_jobs(60)
    job.refresh_from_db()
    assert (job.status, job.accepted) == ("done", 30)
    assert Interview.objects.count() == 30


def test_an_unknown_mode_refuses_to_run(settings, contributor):
    settings.IN_PROCESS_JOBS = "threads"
    with pytest.raises(ImproperlyConfigured, match="IN_PROCESS_JOBS='threads'"):
        imports.start_import(owner=contributor, filename="x.jsonl", data=jsonl([chat_line(1)]),
                             defaults=imports.ImportDefaults())
