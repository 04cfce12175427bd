"""Bulk import: the management command, the web upload with its report, and the API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from commons.models import ImportJob, Interview, TargetModel, Turn
from tests import factories
from tests.fixtures.payloads import chat_line, jsonl, zip_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "one.txt").write_text("Human: What happens when you are deprecated?\n\nAssistant: I am not sure.\n")
    (folder / "many.jsonl").write_bytes(jsonl([chat_line(1), chat_line(2), "{broken json", chat_line(3)]))
    (folder / "bundle.zip").write_bytes(zip_of({"a.txt": b"User: first?\n\nAI: first.", "b.txt": b"User: second?\n\nAI: second."}))
    (folder / "empty.json").write_bytes(b"{}")
    return folder


def test_command_imports_folder_and_reports_bad_items(corpus_dir, tmp_path, capsys):
    report_path = tmp_path / "report.json"
    call_command("import_interviews", str(corpus_dir), "--report", str(report_path))
    rows = json.loads(report_path.read_text())
    by_status: dict[str, list[dict]] = {}
    for row in rows:
        by_status.setdefault(row["status"], []).append(row)
    # one.txt: the model is not named in the file, so it is rejected (no default given)
    accepted = {r["location"] for r in by_status["accepted"]}
    assert sum("many.jsonl" in loc for loc in accepted) == 3
    rejected = {r["location"]: r["message"] for r in by_status["rejected"]}
    for unnamed in ("one.txt", "bundle.zip:a.txt", "bundle.zip:b.txt"):
        assert any(loc.endswith(unnamed) and "does not name the target model" in msg for loc, msg in rejected.items())
    assert any("many.jsonl" in loc and "line 3" in loc + msg for loc, msg in rejected.items()), rejected
    assert any("empty.json" in loc for loc in rejected), rejected
    assert Interview.objects.filter(source_format="openai").count() == 3
    assert TargetModel.objects.filter(name="gpt-test").exists()
    # each accepted item has all its turns; rejected items left nothing behind
    for interview in Interview.objects.all():
        assert interview.turns.count() >= 2
    assert Turn.objects.filter(interview__isnull=True).count() == 0


def test_command_names_the_model_and_interviewer_for_files_that_do_not(corpus_dir, tmp_path):
    """Plain text and ShareGPT files do not say who was interviewed: the rejection says how to name it,
    and --target-model / --interviewer fill in (created if absent) without overriding what a file names."""
    report_path = tmp_path / "report.json"
    call_command("import_interviews", str(corpus_dir / "one.txt"), "--report", str(report_path), verbosity=0)
    (row,) = json.loads(report_path.read_text())
    assert row["status"] == "rejected" and "--target-model NAME" in row["message"]

    call_command("import_interviews", str(corpus_dir), "--target-model", "Unnamed Model 1",
                 "--interviewer", "Auditor A", "--report", str(report_path), verbosity=0)
    rows = json.loads(report_path.read_text())
    assert sum(r["status"] == "accepted" for r in rows) == 6  # one.txt, two in the zip, three JSONL lines
    plain = Interview.objects.filter(source_filename__in=["corpus/one.txt", "corpus/bundle.zip:a.txt",
                                                          "corpus/bundle.zip:b.txt"])
    assert plain.count() == 3
    assert {(i.target_model.name, i.interviewer.name) for i in plain} == {("Unnamed Model 1", "Auditor A")}
    assert set(Interview.objects.filter(source_format="openai").values_list("target_model__name", flat=True)) == {
        "gpt-test"}  # the JSONL names its model: that wins
    assert TargetModel.objects.filter(name="Unnamed Model 1").count() == 1


def test_reimport_adds_nothing(corpus_dir, tmp_path):
    call_command("import_interviews", str(corpus_dir))
    count, turns = Interview.objects.count(), Turn.objects.count()
    assert count > 0
    report_path = tmp_path / "again.json"
    call_command("import_interviews", str(corpus_dir), "--report", str(report_path))
    assert Interview.objects.count() == count and Turn.objects.count() == turns
    statuses = {row["status"] for row in json.loads(report_path.read_text())}
    assert "accepted" not in statuses and "duplicate" in statuses


def test_web_bulk_upload_shows_progress_and_report(client, contributor, django_capture_on_commit_callbacks):
    client.force_login(contributor)
    model = factories.target_model("Default model")
    archive = zip_of({
        "good/a.txt": b"Human: first?\n\nAssistant: first.",
        "good/b.jsonl": jsonl([chat_line(10), chat_line(11)]),
        "bad/c.json": b'{"messages": [{"role": "user", "content": 5}]}',
        "bad/d.txt": b"\xff\xfe\x00garbage\x00\x00\xd8",
    })
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("import_new"), {
            "file": SimpleUploadedFile("upload.zip", archive), "licence": "CC-BY-4.0", "visibility": "public",
            "target_model": model.pk})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("import_detail", args=[job.pk])
    assert job.status == "done" and job.total == 5 and job.processed == 5
    assert (job.accepted, job.rejected) == (3, 2)
    page = client.get(reverse("import_detail", args=[job.pk]))
    body = page.content.decode()
    assert "3 accepted" in body and "2 rejected" in body and "upload.zip:bad/c.json" in body
    assert 'value="100"' in body  # the progress bar is full
    partial = client.get(reverse("import_detail", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert partial.content.decode().lstrip().startswith('<div id="import-progress"')
    a = Interview.objects.get(source_filename="upload.zip:good/a.txt")
    assert a.target_model == model and a.import_job == job


def test_import_of_someone_elses_job_is_404(client, contributor, outsider, django_capture_on_commit_callbacks):
    client.force_login(contributor)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("import_new"), {"file": SimpleUploadedFile("x.jsonl", jsonl([chat_line(1)])),
                                            "licence": "CC-BY-4.0", "visibility": "public"})
    job = ImportJob.objects.get()
    client.force_login(outsider)
    assert client.get(reverse("import_detail", args=[job.pk])).status_code == 404


def test_bulk_upload_limits(client, contributor, settings):
    settings.IMPORT_MAX_BYTES = 100
    client.force_login(contributor)
    response = client.post(reverse("import_new"), {"file": SimpleUploadedFile("big.jsonl", b"x" * 200),
                                                   "licence": "CC-BY-4.0", "visibility": "public"})
    assert response.status_code == 400 and "the limit is 100" in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_zip_bomb_is_rejected_without_extracting(contributor, django_capture_on_commit_callbacks, settings):
    from commons import services

    settings.IMPORT_MAX_UNCOMPRESSED_BYTES = 10_000
    bomb = zip_of({"bomb.txt": b"Human: " + b"a" * 1_000_000})
    with django_capture_on_commit_callbacks(execute=True):
        job = services.start_import(owner=contributor, filename="bomb.zip", data=bomb,
                                    defaults=services.ImportDefaults())
    job.refresh_from_db()
    assert job.status == "done" and job.accepted == 0 and job.rejected >= 1
    assert "would expand to 1,000,007 bytes, over the limit of 10,000" in json.dumps(job.report)


def test_too_many_archive_entries(contributor, django_capture_on_commit_callbacks, settings):
    from commons import services

    settings.IMPORT_MAX_ARCHIVE_ENTRIES = 3
    archive = zip_of({f"{n}.txt": f"Human: q{n}\n\nAssistant: a{n}".encode() for n in range(5)})
    with django_capture_on_commit_callbacks(execute=True):
        job = services.start_import(owner=contributor, filename="many.zip", data=archive,
                                    defaults=services.ImportDefaults())
    job.refresh_from_db()
    assert job.accepted == 0 and "entries" in json.dumps(job.report).lower()


def test_api_bulk_import(contributor, api_client_for, django_capture_on_commit_callbacks):
    client = api_client_for(contributor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/imports/", {"file": SimpleUploadedFile("rows.jsonl", jsonl([chat_line(1), chat_line(2)]))},
                               format="multipart")
    assert response.status_code == 202
    job = client.get(f"/api/v1/imports/{response.json()['id']}/").json()
    assert job["status"] == "done" and job["accepted"] == 2 and job["percent"] == 100
    assert [row["status"] for row in job["report"]] == ["accepted", "accepted"]
