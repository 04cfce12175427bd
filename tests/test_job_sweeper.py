"""The sweeper: a queued or running job whose task is lost is sent again (and, being idempotent, then
completes once); one that the broker still holds, or that a live worker runs, is left alone; a dead
release build's partial folder is deleted."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from commons import broker, jobs, locks, services
from commons.models import ImportJob, Interview
from reviews.explorer import releases, sweep
from reviews.explorer.models import DatasetRelease
from tests.fixtures.payloads import chat_line, jsonl

pytestmark = pytest.mark.django_db

LONG_AGO = timezone.now() - timedelta(hours=3)


@pytest.fixture
def sent(monkeypatch) -> list[tuple[str, int]]:
    calls: list[tuple[str, int]] = []
    monkeypatch.setattr(broker, "try_enqueue", lambda task, pk, **kw: calls.append((task.name, pk)) or True)
    return calls


def job(owner, status: str, *, created: object = LONG_AGO, started: object = None) -> ImportJob:
    made = ImportJob.objects.create(owner=owner, filename="rows.jsonl", upload=jsonl([chat_line(1)]), size=1)
    ImportJob.objects.filter(pk=made.pk).update(status=status, created_at=created, started_at=started)
    return made


def test_a_queued_job_the_broker_does_not_hold_is_sent_again(contributor, sent, monkeypatch):
    lost = job(contributor, "queued")
    waiting = job(contributor, "queued")
    young = job(contributor, "queued", created=timezone.now())
    job(contributor, "done")
    job(contributor, "failed")
    monkeypatch.setattr(broker, "pending_messages", lambda name: {waiting.pk: broker.WAITING})
    assert jobs.sweep_import_jobs() == [lost.pk]
    assert sent == [("commons.tasks.run_import_job", lost.pk)]
    sent.clear()
    assert young.pk not in jobs.sweep_import_jobs()
    monkeypatch.setattr(broker, "pending_messages", lambda name: None)  # cannot tell: leave queued jobs
    sent.clear()
    assert jobs.sweep_import_jobs() == [] and sent == []


def test_a_running_job_is_lost_when_nobody_runs_it_and_no_message_will(contributor, sent, monkeypatch):
    dead = job(contributor, "running", started=LONG_AGO)
    retrying = job(contributor, "running", started=LONG_AGO)
    monkeypatch.setattr(broker, "pending_messages",
                        lambda name: {dead.pk: broker.DELIVERED, retrying.pk: broker.SCHEDULED})
    if locks.has_advisory_locks():
        from tests.fixtures.db import other_connection

        alive = job(contributor, "running", started=LONG_AGO)
        with other_connection() as worker:  # a live worker holds its lock
            worker.execute("SELECT pg_advisory_lock(%s)", [locks.lock_key(jobs.import_lock_name(alive.pk))])
            assert locks.is_held(jobs.import_lock_name(alive.pk))
            assert jobs.sweep_import_jobs() == [dead.pk]
        deadline = time.monotonic() + 10  # that worker died; its server process lets go a moment later
        while locks.is_held(jobs.import_lock_name(alive.pk)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert set(jobs.sweep_import_jobs()) == {dead.pk, alive.pk}
    else:
        job(contributor, "running", started=timezone.now())  # started within the time limit: alive
        assert jobs.sweep_import_jobs() == [dead.pk]


def test_a_lost_job_sent_again_completes_once(contributor, monkeypatch, django_capture_on_commit_callbacks):
    lost = job(contributor, "running", started=LONG_AGO)
    ImportJob.objects.filter(pk=lost.pk).update(upload=jsonl([chat_line(n) for n in range(3)]))
    monkeypatch.setattr(broker, "pending_messages", lambda name: {})
    assert jobs.sweep_import_jobs() == [lost.pk]  # tasks run in-process here
    lost.refresh_from_db()
    assert (lost.status, lost.accepted) == ("done", 3)
    assert jobs.sweep_import_jobs() == []
    assert Interview.objects.filter(import_job=lost).count() == 3
    services.run_import(lost.pk)  # a late duplicate delivery changes nothing
    assert Interview.objects.count() == 3


def test_a_failed_job_is_never_run_again(contributor):
    failed = job(contributor, "failed")
    services.run_import(failed.pk)
    failed.refresh_from_db()
    assert failed.status == "failed" and Interview.objects.count() == 0


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def partial(media, version: str) -> object:
    folder = media / "releases" / f".{version}-k1ll3d"
    folder.mkdir(parents=True)
    (folder / "turns.csv").write_text("interview_id,index\n1,0\n")
    return folder


def test_release_builds_lost_are_sent_again_and_dead_partial_folders_removed(media, sent, monkeypatch):
    monkeypatch.setattr(broker, "pending_messages", lambda name: {})
    queued = DatasetRelease.objects.create(version="2026.01.01-1")
    DatasetRelease.objects.filter(pk=queued.pk).update(created_at=LONG_AGO)
    failed = DatasetRelease.objects.create(version="2026.01.02-1", status=DatasetRelease.Status.FAILED)
    building = DatasetRelease.objects.create(version="2026.01.03-1", status=DatasetRelease.Status.BUILDING,
                                             started_at=timezone.now())
    dead_folder, live_folder = partial(media, failed.version), partial(media, building.version)
    if locks.has_advisory_locks():
        from tests.fixtures.db import other_connection

        with other_connection() as worker:
            worker.execute("SELECT pg_advisory_lock(%s)", [locks.lock_key(releases.lock_name(building.pk))])
            assert sweep.sweep_release_builds() == [queued.pk]
    else:
        assert sweep.sweep_release_builds() == [queued.pk]
    assert not dead_folder.exists() and live_folder.exists()
    assert sent == [("reviews.explorer.tasks.build_release", queued.pk)]


def test_a_rebuild_deletes_the_killed_builds_partial_folder(media, contributor, make_interview):
    make_interview(contributor)
    release = DatasetRelease.objects.create(version="2026.01.04-1")
    leftover = partial(media, release.version)
    built = releases.build_release(release.pk)
    assert built is not None and built.status == DatasetRelease.Status.READY
    assert not leftover.exists()
    assert [p.name for p in (media / "releases").iterdir()] == [release.version]
