"""Recomputes are enqueued after commit, coalesced, idempotent, and a stale run never overwrites a newer one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from commons.models import AuditEvent, Interview
from reviews.reliability import services, tasks
from reviews.reliability.models import AgreementResult, RecomputeRequest
from tests import factories
from tests.factories import AgreementWorld

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch) -> list[tuple[list, dict]]:
    """Record instead of sending to a broker."""
    calls: list[tuple[list, dict]] = []
    monkeypatch.setattr(tasks.recompute_metric_agreement, "apply_async",
                        lambda args=None, **kwargs: calls.append((args, kwargs)))
    return calls


def test_nothing_is_enqueued_before_commit_and_one_task_per_metric_after(agreement_world: AgreementWorld, sent,
                                                                         django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            services.schedule_recompute([agreement_world.interval.pk])
            services.schedule_recompute([agreement_world.interval.pk, agreement_world.ordinal.pk])
            services.schedule_recompute([agreement_world.ordinal.pk])
            assert sent == []
    assert len(callbacks) == 1  # one callback per transaction, however many calls
    assert sorted(args[0] for args, _ in sent) == [agreement_world.interval.pk, agreement_world.ordinal.pk]
    assert RecomputeRequest.objects.get(pk=agreement_world.interval.pk).requests == 2


def test_a_burst_is_coalesced_into_the_queued_task(agreement_world: AgreementWorld, sent, settings,
                                                   django_capture_on_commit_callbacks) -> None:
    settings.RELIABILITY_DEBOUNCE_SECONDS = 7
    for _ in range(5):  # five reviews committed one after the other, before the worker picks the task up
        with django_capture_on_commit_callbacks(execute=True):
            services.schedule_recompute([agreement_world.interval.pk])
    assert len(sent) == 1
    assert sent[0][1]["countdown"] == 7
    request = RecomputeRequest.objects.get(pk=agreement_world.interval.pk)
    assert (request.requests, request.completed_requests) == (5, 0)
    assert services.pending_metric_version_ids() == [agreement_world.interval.pk]

    services.recompute_metric_version(metric_version_id=agreement_world.interval.pk)  # the task runs
    request.refresh_from_db()
    assert request.enqueued_at is None and request.completed_requests == 5 and request.runs == 1
    assert services.pending_metric_version_ids() == []
    with django_capture_on_commit_callbacks(execute=True):  # a review after the task started enqueues again
        services.schedule_recompute([agreement_world.interval.pk])
    assert len(sent) == 2


def test_a_lost_task_is_replaced_once_its_claim_is_stale(agreement_world: AgreementWorld, sent, settings,
                                                         django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        services.schedule_recompute([agreement_world.interval.pk])
    RecomputeRequest.objects.filter(pk=agreement_world.interval.pk).update(
        enqueued_at=timezone.now() - timedelta(hours=2))
    with django_capture_on_commit_callbacks(execute=True):
        services.schedule_recompute([agreement_world.interval.pk])
    assert len(sent) == 2


def test_a_broker_failure_leaves_the_request_pending(agreement_world: AgreementWorld, monkeypatch,
                                                     django_capture_on_commit_callbacks) -> None:
    def down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.recompute_metric_agreement, "apply_async", down)
    with django_capture_on_commit_callbacks(execute=True):
        services.schedule_recompute([agreement_world.interval.pk])
    request = RecomputeRequest.objects.get(pk=agreement_world.interval.pk)
    assert request.enqueued_at is None  # the next request may enqueue again
    assert services.pending_metric_version_ids() == [agreement_world.interval.pk]


def test_a_rolled_back_transaction_schedules_nothing(agreement_world: AgreementWorld, sent,
                                                     django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            services.schedule_recompute([agreement_world.interval.pk])
            raise RuntimeError
        with transaction.atomic():
            services.schedule_recompute([agreement_world.ordinal.pk])
    assert [args[0] for args, _ in sent] == [agreement_world.ordinal.pk]
    assert not RecomputeRequest.objects.filter(pk=agreement_world.interval.pk).exists()


def test_deferred_recompute_schedules_once_at_the_end(agreement_world: AgreementWorld, sent,
                                                      django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        with services.deferred_recompute():
            for _ in range(3):
                services.schedule_recompute([agreement_world.interval.pk])
            assert not RecomputeRequest.objects.exists()
    assert len(sent) == 1 and RecomputeRequest.objects.get(pk=agreement_world.interval.pk).requests == 1


def test_a_submitted_review_recomputes_in_process_after_commit(agreement_world: AgreementWorld,
                                                               django_capture_on_commit_callbacks) -> None:
    """The embedded mode: tasks run eagerly, after the review's transaction commits."""
    interview = agreement_world.interview()
    with django_capture_on_commit_callbacks(execute=True):
        for i, value in enumerate((3, 4, 8)):
            review = agreement_world.review(i, interview, {"warmth": value})
            services.schedule_recompute_for_review(review)  # the hook the review service calls
    result = AgreementResult.objects.get(metric_version=agreement_world.interval, audience="public", slice_type="all")
    assert result.n_ratings == 3  # the interview became "reviewed", so its reviews count in public numbers
    assert AuditEvent.objects.filter(verb=services.AUDIT_VERB, target_id=str(agreement_world.interval.pk)).count() >= 1


def test_a_stale_run_never_overwrites_a_newer_one(agreement_world: AgreementWorld) -> None:
    interview = agreement_world.interview()
    agreement_world.review(0, interview, {"warmth": 3})
    agreement_world.review(1, interview, {"warmth": 4})
    outcome_old = services.RecomputeOutcome(agreement_world.interval.pk)
    old_run, _ = services._claim(agreement_world.interval.pk)  # a run that started first and was then slow
    newer = services.recompute_metric_version(metric_version_id=agreement_world.interval.pk)
    assert newer.run == old_run + 1 and newer.written > 0
    audits = AuditEvent.objects.filter(verb=services.AUDIT_VERB).count()
    services._write(agreement_world.interval, old_run, 0, [], {}, lambda piece: None, outcome_old, force=False)
    assert outcome_old.superseded and outcome_old.written == 0 and outcome_old.removed == 0
    assert AgreementResult.objects.filter(metric_version=agreement_world.interval).count() == newer.slices
    assert AuditEvent.objects.filter(verb=services.AUDIT_VERB).count() == audits


def test_running_twice_writes_once(agreement_world: AgreementWorld) -> None:
    """What a redelivered task does: the second run finds every fingerprint unchanged."""
    interview = agreement_world.interview()
    judge = factories.judge("J")
    for replicate, value in enumerate((2, 2.5, 3)):
        agreement_world.judge_review(judge, interview, replicate, {"warmth": value})
    agreement_world.review(0, interview, {"warmth": 3})
    first = services.recompute_metric_version(metric_version_id=agreement_world.interval.pk)
    second = services.recompute_metric_version(metric_version_id=agreement_world.interval.pk)
    assert first.written == first.slices and second.written == 0
    assert AuditEvent.objects.filter(verb=services.AUDIT_VERB, target_id=str(agreement_world.interval.pk)).count() == 1


def test_the_task_is_late_acknowledged_bounded_and_retried() -> None:
    task = tasks.recompute_metric_agreement
    assert task.acks_late and task.reject_on_worker_lost
    assert task.soft_time_limit and task.time_limit and task.time_limit > task.soft_time_limit
    assert task.max_retries and task.retry_backoff


def test_the_command_recomputes_everything_with_progress(agreement_world: AgreementWorld) -> None:
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    interview = agreement_world.interview()
    agreement_world.review(0, interview, {"warmth": 2, "candour": "low"})
    agreement_world.review(1, interview, {"warmth": 6, "candour": "high"})
    out = StringIO()
    call_command("recompute_agreement", stdout=out)
    text = out.getvalue()
    assert "[" in text and "3/3" in text and "Done in" in text
    assert AgreementResult.objects.filter(metric_version=agreement_world.interval, slice_type="all").count() == 2
    out = StringIO()
    call_command("recompute_agreement", "--metric", "warmth", stdout=out)
    assert "0 written, " in out.getvalue().splitlines()[-1]
    out = StringIO()
    call_command("recompute_agreement", "--pending", stdout=out)
    assert "Nothing to recompute." in out.getvalue()
    with pytest.raises(CommandError):
        call_command("recompute_agreement", "--metric", "no-such-metric")
    out = StringIO()
    call_command("agreement_table", stdout=out)
    assert out.getvalue().startswith("| Metric |")


@pytest.mark.parametrize("change", [{"visibility": Interview.Visibility.PRIVATE}, {"status": Interview.Status.DRAFT},
                                    {"visibility": Interview.Visibility.RESEARCHERS}])
def test_an_interview_leaving_the_public_set_by_any_path_leaves_public_agreement(
        agreement_world: AgreementWorld, change, django_capture_on_commit_callbacks) -> None:
    """Not only the withdraw service: a curator changing status or visibility in the admin, say."""
    interviews = [agreement_world.interview() for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        for interview, values in zip(interviews, [(3, 4, 8), (1, 2, 2), (6, 6, 7)], strict=True):
            for i, value in enumerate(values):
                services.schedule_recompute_for_review(agreement_world.review(i, interview, {"warmth": value}))
    public = dict(metric_version=agreement_world.interval, audience="public", slice_type="all")
    assert AgreementResult.objects.get(**public).n_units == 3
    with django_capture_on_commit_callbacks(execute=True):
        hidden = Interview.objects.get(pk=interviews[0].pk)
        for field_name, value in change.items():
            setattr(hidden, field_name, value)
        hidden.save()  # what the admin does: a full save, no service involved
    assert AgreementResult.objects.get(**public).n_units == 2
