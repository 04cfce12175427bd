"""The review queue: claims, expiry, conflict rules, targets, curator assignment, racing claims."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import close_old_connections, connection
from django.utils import timezone

from commons.models import Interview
from commons.services import ServiceError
from reviews import selectors, services
from reviews.models import Assignment, Review
from tests import factories
from tests.factories import claim_and_submit, content

pytestmark = pytest.mark.django_db


@pytest.fixture
def interview(contributor, make_interview):
    return make_interview(contributor)


def test_claim_takes_a_slot_with_expiry_and_returns_the_same_claim(reviewer, interview, settings):
    settings.REVIEW_CLAIM_MINUTES = 30
    slot = services.claim_next(reviewer=reviewer)
    assert slot.interview_id == interview.pk
    assert slot.kind == Assignment.Kind.CLAIM
    assert timedelta(minutes=29) < slot.expires_at - timezone.now() <= timedelta(minutes=30)
    assert services.claim_next(reviewer=reviewer).pk == slot.pk  # one claim at a time
    assert Assignment.objects.filter(interview=interview).count() == 3  # the default target


def test_claim_expiry_is_configurable_and_lapsed_claims_return_to_the_queue(make_user, reviewer, interview, settings):
    settings.REVIEW_CLAIM_MINUTES = 5
    slot = services.claim_next(reviewer=reviewer)
    assert slot.expires_at - timezone.now() <= timedelta(minutes=5)
    # Only one place: once it is held, nobody else gets the interview…
    Assignment.objects.filter(interview=interview).exclude(pk=slot.pk).delete()
    settings.REVIEW_TARGET_DEFAULT = 1
    other = make_user("otto@uni-b.example", is_reviewer=True)
    with pytest.raises(ServiceError) as err:
        services.claim_next(reviewer=other)
    assert err.value.field == "queue"
    # …until the claim lapses.
    Assignment.objects.filter(pk=slot.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert services.current_claim(reviewer) is None
    taken = services.claim_next(reviewer=other)
    assert taken.pk == slot.pk and taken.reviewer == other


def test_reviewer_with_a_lapsed_claim_gets_a_new_one(reviewer, interview, contributor, make_interview):
    first = services.claim_next(reviewer=reviewer)
    Assignment.objects.filter(pk=first.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    again = services.claim_next(reviewer=reviewer)
    assert again.expires_at > timezone.now()
    assert Assignment.objects.filter(reviewer=reviewer, review__isnull=True).count() == 1


def test_never_own_interview(make_user, make_interview):
    author = make_user("author@lab.example", is_reviewer=True)
    make_interview(author)
    with pytest.raises(ServiceError, match="waiting"):
        services.claim_next(reviewer=author)


def test_never_an_interview_from_the_same_affiliation(make_user, make_interview):
    contributor = make_user("carol@lab.example", affiliation="Anthropic Interpretability")
    make_interview(contributor)
    reviewer = make_user("rex@lab.example", is_reviewer=True, affiliation="  anthropic interpretability ")
    reviewer.affiliation = "anthropic interpretability"
    reviewer.save()
    with pytest.raises(ServiceError):
        services.claim_next(reviewer=reviewer)
    other = make_user("olga@else.example", is_reviewer=True, affiliation="Elsewhere Institute")
    assert services.claim_next(reviewer=other)


def test_never_a_declared_conflict_by_email_or_organisation(make_user, make_interview, curator):
    by_email = make_user("dana@x.example")
    by_org = make_user("eli@y.example", affiliation="Hypothetical Labs")
    make_interview(by_email)
    make_interview(by_org)
    applicant = make_user("rory@z.example")
    application = services.apply_to_review(user=applicant, expertise="Ten years of interview methodology research.",
                                           affiliation="Zed University", conflicts="DANA@x.example\nhypothetical labs")
    services.decide_application(actor=curator, application=application, approve=True)
    applicant.refresh_from_db()
    assert applicant.is_reviewer
    with pytest.raises(ServiceError):
        services.claim_next(reviewer=applicant)
    assert selectors.queue_candidates(applicant).count() == 0


def test_curator_assignment_respects_conflicts_and_does_not_lapse(make_user, curator, contributor, interview):
    reviewer = make_user("ann@elsewhere.example", is_reviewer=True)
    due = timezone.now() + timedelta(days=3)
    slot = services.assign_reviewer(actor=curator, interview=interview, reviewer=reviewer, due_at=due)
    assert slot.kind == Assignment.Kind.ASSIGNED and slot.expires_at is None and slot.due_at == due
    assert selectors.held_assignment(reviewer, interview) is not None
    with pytest.raises(ServiceError) as err:
        services.assign_reviewer(actor=curator, interview=interview, reviewer=contributor)
    assert err.value.field == "reviewer"
    with pytest.raises(services.NotAllowed):
        services.assign_reviewer(actor=reviewer, interview=interview, reviewer=reviewer)


def test_reaching_the_target_marks_reviewed_and_per_study_target(make_user, contributor, make_interview, curator):
    study = factories.study("s")
    services.configure_study_review(actor=curator, study=study, rubric=None, target_reviews=2)
    interview = make_interview(contributor, study=study)
    first, second, third = (make_user(f"r{i}@inst{i}.example", is_reviewer=True) for i in range(3))
    claim_and_submit(first, interview)
    interview.refresh_from_db()
    assert interview.status == Interview.Status.IN_REVIEW
    claim_and_submit(second, interview)
    interview.refresh_from_db()
    assert interview.status == Interview.Status.REVIEWED
    with pytest.raises(ServiceError):
        services.claim_next(reviewer=third)  # reviewed interviews leave the queue


def test_queue_prefers_interviews_nearest_completion(make_user, contributor, make_interview):
    older = make_interview(contributor)
    newer = make_interview(contributor)
    a, b = make_user("a@one.example", is_reviewer=True), make_user("b@two.example", is_reviewer=True)
    services.assign_reviewer(actor=make_user("cur@c.example", is_curator=True), interview=newer, reviewer=a)
    assert services.claim_next(reviewer=b).interview_id == newer.pk
    assert older.pk != newer.pk


def test_take_slot_is_conditional(make_user, interview):
    """The UPDATE only wins a slot that is still free: a stale candidate read cannot double-assign."""
    a, b = make_user("a@one.example", is_reviewer=True), make_user("b@two.example", is_reviewer=True)
    from reviews.services.queue import ensure_slots, take_slot

    ensure_slots(interview, 1)
    now = timezone.now()
    assert take_slot(interview=interview, reviewer=a, kind="claim", now=now, expires_at=now + timedelta(minutes=30),
                     max_slot=1)
    assert take_slot(interview=interview, reviewer=b, kind="claim", now=now, expires_at=now + timedelta(minutes=30),
                     max_slot=1) is None


def test_a_claim_interleaved_with_another_cannot_double_assign(make_user, contributor, make_interview, settings,
                                                               monkeypatch):
    """Reviewer B commits a claim between reviewer A's read of the free slots and A's UPDATE: A's
    stale read must not win the slot (A moves on and finds nothing else)."""
    from reviews.services import queue

    settings.REVIEW_TARGET_DEFAULT = 1
    interview = make_interview(contributor)
    a, b = make_user("a@one.example", is_reviewer=True), make_user("b@two.example", is_reviewer=True)
    real_try_take = queue.try_take
    interleaved, a_won = [], []

    def b_first(slot_id, **kwargs):
        if kwargs["reviewer"] != a:
            return real_try_take(slot_id, **kwargs)
        if not interleaved:
            interleaved.append(services.claim_next(reviewer=b))
        a_won.append(real_try_take(slot_id, **kwargs))
        return a_won[-1]

    monkeypatch.setattr(queue, "try_take", b_first)
    with pytest.raises(ServiceError) as err:
        services.claim_next(reviewer=a)
    assert err.value.field == "queue"
    assert interleaved and interleaved[0].reviewer == b and interleaved[0].interview_id == interview.pk
    assert a_won == [False], "A's UPDATE found the slot taken and changed nothing"


@pytest.mark.django_db(transaction=True)
def test_racing_claims_never_double_assign(make_user, contributor, make_interview, settings):
    """Real concurrent claims: four reviewers race for the last place, one of them from two browsers."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's shared in-memory test database cannot run concurrent writers; the interleaving "
                    "test above covers the conditional UPDATE there (run with DATABASE_URL=postgres://…)")
    settings.REVIEW_TARGET_DEFAULT = 1
    interview = make_interview(contributor)
    racers = [make_user(f"racer{i}@org{i}.example", is_reviewer=True) for i in range(4)]
    results: list[object] = []
    barrier = threading.Barrier(5)

    def claim(user) -> None:
        try:
            barrier.wait(timeout=10)
            results.append(services.claim_next(reviewer=user))
        except ServiceError as err:
            results.append(err)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=claim, args=(user,)) for user in [racers[0], *racers]]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    held = Assignment.objects.filter(interview=interview, reviewer__isnull=False)
    assert held.count() == 1, "one place, one holder"
    winner = held.get().reviewer
    wins = [r for r in results if isinstance(r, Assignment)]
    assert wins and {w.reviewer_id for w in wins} == {winner.pk}
    losers = [r for r in results if isinstance(r, ServiceError)]
    assert all(e.field == "queue" for e in losers)
    assert len(wins) + len(losers) == 5


def test_submitting_after_the_claim_lapsed_and_was_retaken_fails_cleanly(make_user, interview, settings):
    settings.REVIEW_TARGET_DEFAULT = 1
    a, b = make_user("a@one.example", is_reviewer=True), make_user("b@two.example", is_reviewer=True)
    slot = services.claim_next(reviewer=a)
    services.save_draft(reviewer=a, interview=interview, content=content(interview))
    Assignment.objects.filter(pk=slot.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert services.claim_next(reviewer=b).pk == slot.pk
    with pytest.raises(ServiceError) as err:
        services.submit_review(reviewer=a, interview=interview)
    assert err.value.field == "assignment"
    assert "1" not in err.value.message and "2" not in err.value.message  # no counts
    review = Review.objects.get(reviewer=a)
    assert review.status == Review.Status.DRAFT and review.revisions.filter(is_draft=True).exists()


def test_release_returns_the_place(reviewer, interview):
    slot = services.claim_next(reviewer=reviewer)
    services.release_assignment(reviewer=reviewer, assignment=slot)
    slot.refresh_from_db()
    assert slot.reviewer is None and slot.kind == Assignment.Kind.OPEN
    with pytest.raises(ServiceError):
        services.release_assignment(reviewer=reviewer, assignment=slot)
