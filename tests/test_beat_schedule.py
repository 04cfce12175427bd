"""`celery -A commons beat` has work to send: every scheduled task is a registered task (what each sweep does is
tested in tests/test_job_sweeper.py)."""

from __future__ import annotations

import pytest
from django.conf import settings

from reviews.reliability import services, tasks
from tests.factories import AgreementWorld


def test_every_scheduled_task_is_registered_with_the_app():
    from commons.celery import app

    app.loader.import_default_modules()
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert {"sweep-agreement-requests", "sweep-import-jobs", "sweep-release-builds", "explorer-refresh"} <= set(schedule)
    for name, entry in schedule.items():
        assert entry["task"] in app.tasks, f"{name}: {entry['task']} is not a registered task"
        assert 30 <= float(entry["schedule"]) <= 24 * 3600, name
    assert app.conf.beat_schedule == schedule


@pytest.mark.django_db
def test_the_agreement_sweep_enqueues_what_a_broker_outage_left_pending(agreement_world: AgreementWorld, monkeypatch,
                                                                      django_capture_on_commit_callbacks) -> None:
    from commons import broker

    def down(*args: object, **kwargs: object) -> None:
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.recompute_metric_agreement, "apply_async", down)
    with django_capture_on_commit_callbacks(execute=True):
        services.schedule_recompute([agreement_world.interval.pk])
    assert services.pending_metric_version_ids() == [agreement_world.interval.pk]

    broker._down_until[0] = 0.0  # noqa: SLF001 - the broker is back (the back-off would wait RETRY_SECONDS)
    sent: list[list[int]] = []
    monkeypatch.setattr(tasks.recompute_metric_agreement, "apply_async",
                        lambda args=None, **kwargs: sent.append(list(args or ())))
    assert tasks.sweep_pending_recomputes.apply().get() == [agreement_world.interval.pk]
    assert sent == [[agreement_world.interval.pk]]
    assert tasks.sweep_pending_recomputes.apply().get() == []  # already queued: nothing sent twice
    assert sent == [[agreement_world.interval.pk]]
