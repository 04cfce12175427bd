"""When the aggregates are rebuilt: after agreement updates and reviews, debounced, once; and on a real worker."""

from __future__ import annotations

import time

import pytest
from django.utils import timezone

from reviews.explorer import materialize, refresh
from reviews.explorer.models import DatasetRelease, RefreshState
from tests.factories import Corpus


@pytest.fixture
def small(contributor):
    c = Corpus(contributor)
    model, auditor = c.model("Model A"), c.interviewer("Auditor")
    version = c.metric("aversion")
    reviewer = c.reviewer("r1")
    interview = c.interview(model, auditor)
    c.human(interview, reviewer, {version: 3})
    return {"version": version, "interview": interview, "reviewer": reviewer, "corpus": c}


@pytest.mark.django_db
def test_agreement_update_enqueues_one_refresh_after_commit(small, monkeypatch, django_capture_on_commit_callbacks):
    from reviews.reliability.models import AgreementResult

    sent: list[dict] = []
    monkeypatch.setattr(refresh, "_in_process", lambda: False)
    monkeypatch.setattr("reviews.explorer.tasks.refresh_explorer.apply_async", lambda **kw: sent.append(kw))
    with django_capture_on_commit_callbacks(execute=True):
        for slice_value in ("", "1", "2"):  # a burst: three results written by one recompute
            AgreementResult.objects.create(
                metric_version=small["version"], audience="public", slice_type="target_model" if slice_value else "all",
                slice_value=slice_value, slice_label="x", level="interval", alpha=0.7, inputs_fingerprint="f" * 64,
                computed_at=timezone.now())
        assert sent == []  # nothing before commit
    assert sent == [{"countdown": refresh.DEBOUNCE_SECONDS}]
    # the task clears the request and does the work once
    from reviews.explorer.tasks import refresh_explorer

    assert refresh_explorer.apply().get() == materialize.Outcome.DONE
    assert materialize.is_current()
    assert refresh_explorer.apply().get() == materialize.Outcome.UNCHANGED


@pytest.mark.django_db
def test_a_new_review_makes_the_numbers_stale_until_refreshed(small, client, django_capture_on_commit_callbacks,
                                                              settings):
    from reviews import signals
    from reviews.models import Review

    settings.EXPLORER_IN_PROCESS_REFRESH = "inline"
    materialize.refresh_aggregates()
    assert materialize.is_current()
    c = small["corpus"]
    review = small["interview"].reviews.get()
    c.revise(review, {small["version"]: 5})
    assert not materialize.is_current()
    # a read never rebuilds: the page serves the snapshot it has and says when it was computed
    data = client.get("/api/v1/patterns/overview/").json()
    assert data["rows"][0]["cells"][0]["mean"] == 3 and data["materialized"] and data["computed_at"]
    assert not materialize.is_current()
    # the review service's news (sent in its transaction) rebuilds once it commits
    with django_capture_on_commit_callbacks(execute=True):
        signals.review_submitted.send(sender=Review, review=review)
    assert materialize.is_current()
    assert client.get("/api/v1/patterns/overview/").json()["rows"][0]["cells"][0]["mean"] == 5


@pytest.mark.django_db(transaction=True)
def test_the_embedded_default_rebuilds_in_a_background_thread_once_per_burst(small, settings, monkeypatch):
    """No broker: a burst of triggers (a bulk import commits item by item) makes one rebuild, off the request."""
    settings.EXPLORER_IN_PROCESS_REFRESH = "thread"
    runs: list[int] = []
    real = materialize.refresh_aggregates
    monkeypatch.setattr(materialize, "refresh_aggregates", lambda **kw: runs.append(1) or real(**kw))
    for _ in range(20):
        refresh.request_refresh()  # outside a transaction: each "commits" at once
    assert refresh._background.wait_idle(timeout=30)
    assert len(runs) == 1
    assert materialize.is_current()


@pytest.mark.django_db
def test_a_stale_claim_is_taken_over(small):
    RefreshState.objects.create(pk=1, running_since=timezone.now() - materialize.CLAIM_TIMEOUT * 2)
    assert materialize.refresh_aggregates() == materialize.Outcome.DONE
    assert RefreshState.objects.get(pk=1).running_since is None


@pytest.mark.worker
def test_real_worker_builds_a_release_and_refreshes(celery_worker_process, contributor):
    from reviews.explorer import releases
    from reviews.explorer.tasks import refresh_explorer

    c = Corpus(contributor)
    version = c.metric("aversion")
    interview = c.interview(c.model("Model A"), c.interviewer("Auditor"))
    c.human(interview, c.reviewer("r1"), {version: 3})
    refresh_explorer.delay(force=True)
    release = releases.request_release(requested_by=None)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        release.refresh_from_db()
        state = RefreshState.objects.filter(pk=1).first()
        if release.status in (DatasetRelease.Status.READY, DatasetRelease.Status.FAILED) and state and state.finished_at:
            break
        time.sleep(0.5)
    assert state is not None and state.finished_at is not None
    assert release.status == DatasetRelease.Status.READY, release.error


@pytest.mark.django_db
def test_a_refresh_killed_mid_way_does_not_block_the_next_one_on_postgresql(small):
    """The killed worker leaves `running_since` behind, but its advisory lock died with its connection."""
    from commons import locks
    from tests.fixtures.db import other_connection

    if not locks.has_advisory_locks():
        pytest.skip("advisory locks are PostgreSQL's; SQLite keeps the timestamp claim (test above)")
    key = locks.lock_key(materialize.REFRESH_LOCK)
    with other_connection() as worker:  # a refresh in another worker process...
        worker.execute("SELECT pg_advisory_lock(%s)", [key])
        RefreshState.objects.update_or_create(pk=1, defaults={"running_since": timezone.now()})
        assert materialize.refresh_aggregates() == materialize.Outcome.BUSY
    # ...whose process was killed: its connection is gone, the redelivered task goes ahead at once
    assert materialize.refresh_aggregates() == materialize.Outcome.DONE
    assert RefreshState.objects.get(pk=1).running_since is None


@pytest.mark.django_db
def test_a_release_left_building_by_a_killed_worker_is_rebuilt_at_once_on_postgresql(small, settings, tmp_path):
    from commons import locks
    from reviews.explorer import releases
    from tests.fixtures.db import other_connection

    if not locks.has_advisory_locks():
        pytest.skip("advisory locks are PostgreSQL's; elsewhere a build is taken over once STALE_BUILD old")
    settings.MEDIA_ROOT = tmp_path / "media"
    release = DatasetRelease.objects.create(version="2026.12.0", status=DatasetRelease.Status.BUILDING,
                                            started_at=timezone.now())
    with other_connection() as worker:  # the build is running in another worker
        worker.execute("SELECT pg_advisory_lock(%s)", [locks.lock_key(f"explorer-release-{release.pk}")])
        assert releases.build_release(release.pk) is None
        release.refresh_from_db()
        assert release.status == DatasetRelease.Status.BUILDING
    built = releases.build_release(release.pk)  # that worker died; the redelivered task builds it
    assert built is not None and built.status == DatasetRelease.Status.READY
