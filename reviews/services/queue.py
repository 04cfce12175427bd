"""The review queue: slots per interview, claims that lapse, curator assignments.

Taking a slot is one conditional UPDATE (`… WHERE review IS NULL AND (reviewer IS NULL OR claim
lapsed)`) whose row count says who won, so it is safe under concurrency on SQLite and PostgreSQL
alike. On PostgreSQL candidate slots are also read with SELECT … FOR UPDATE SKIP LOCKED, so racing
claimers spread over different slots instead of queueing behind one another.
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, connection, transaction
from django.db.models import Case, IntegerField, Q, Value, When
from django.utils import timezone

from commons.models import Interview, User
from commons.services import ServiceError, record_audit
from reviews import conf, selectors
from reviews.models import Assignment, Review, ValuesSeen
from reviews.services.common import require_curator, require_reviewer
from reviews.services.people import ensure_profile

Kind = Assignment.Kind
CANDIDATES_PER_CLAIM = 25


def _free(reviewer: User, now: datetime) -> Q:
    """A slot this reviewer may take: open, lapsed, or already theirs."""
    return Q(review__isnull=True) & (Q(reviewer__isnull=True) | Q(expires_at__lte=now) | Q(reviewer=reviewer))


def ensure_slots(interview: Interview, count: int) -> None:
    existing = set(Assignment.objects.filter(interview=interview).values_list("slot", flat=True))
    missing = [n for n in range(1, count + 1) if n not in existing]
    if missing:
        Assignment.objects.bulk_create([Assignment(interview=interview, slot=n) for n in missing],
                                       ignore_conflicts=True)


def take_slot(*, interview: Interview, reviewer: User, kind: str, now: datetime, expires_at: datetime | None,
              due_at: datetime | None = None, assigned_by: User | None = None,
              max_slot: int | None = None, review: Review | None = None) -> Assignment | None:
    """Take one free slot of the interview for the reviewer, or return None if none is free.

    Call inside a transaction. Raises IntegrityError (inside its own savepoint) only when the
    reviewer won another claim concurrently; callers treat that as "already holding one".
    """
    candidates = Assignment.objects.filter(interview=interview).filter(_free(reviewer, now))
    if max_slot is not None:
        candidates = candidates.filter(slot__lte=max_slot)
    candidates = candidates.annotate(
        mine=Case(When(reviewer=reviewer, then=Value(0)), default=Value(1), output_field=IntegerField()),
    ).order_by("mine", "slot")
    limit = 5
    if connection.vendor == "postgresql":
        # Lock just the one slot we will try, skipping slots other claimers are taking right now.
        candidates = candidates.select_for_update(skip_locked=True, of=("self",))
        limit = 1
    for slot_id in list(candidates.values_list("pk", flat=True)[:limit]):
        with transaction.atomic():
            won = try_take(slot_id, reviewer=reviewer, now=now, changes={
                "reviewer": reviewer, "kind": kind, "claimed_at": now, "expires_at": expires_at, "due_at": due_at,
                "assigned_by": assigned_by, "review": review, "filled_at": now if review is not None else None})
        if won:
            return Assignment.objects.select_related("interview").get(pk=slot_id)
    return None


def try_take(slot_id: int, *, reviewer: User, now: datetime, changes: dict) -> bool:
    """The claim itself: one UPDATE that succeeds only if the slot is still free when it runs."""
    return bool(Assignment.objects.filter(pk=slot_id).filter(_free(reviewer, now)).update(**changes))


def mark_in_review(interview: Interview, actor: User) -> None:
    """The first claim or assignment moves a submitted interview into review. Done at claim time, not at
    the first submission, so the status never tells a reviewer that someone else has submitted."""
    if Interview.objects.filter(pk=interview.pk, status=Interview.Status.SUBMITTED).update(
            status=Interview.Status.IN_REVIEW):
        interview.status = Interview.Status.IN_REVIEW
        record_audit(actor=actor, verb="interview.in_review", target=interview,
                     data={"previous_status": Interview.Status.SUBMITTED})


def _release_lapsed_claims(reviewer: User, now: datetime) -> None:
    Assignment.objects.filter(reviewer=reviewer, kind=Kind.CLAIM, review__isnull=True, expires_at__lte=now).update(
        reviewer=None, kind=Kind.OPEN, claimed_at=None, expires_at=None)


def current_claim(reviewer: User, now: datetime | None = None) -> Assignment | None:
    now = now or timezone.now()
    return (Assignment.objects.filter(reviewer=reviewer, kind=Kind.CLAIM, review__isnull=True, expires_at__gt=now)
            .select_related("interview").first())


@transaction.atomic
def claim_next(*, reviewer: User) -> Assignment:
    """Hold the next interview from the reviewer's queue for the claim period.

    A reviewer holds one claim at a time: claiming again returns the live claim. Two browsers of
    the same reviewer racing get the same claim; two reviewers racing for the last slot get one
    slot each at most — the loser moves on to the next candidate.
    """
    require_reviewer(reviewer)
    ensure_profile(reviewer)
    now = timezone.now()
    held = current_claim(reviewer, now)
    if held is not None:
        return held
    _release_lapsed_claims(reviewer, now)
    expires = now + conf.claim_duration()
    for interview in selectors.queue_candidates(reviewer)[:CANDIDATES_PER_CLAIM]:
        target = interview.target
        ensure_slots(interview, target)
        try:
            slot = take_slot(interview=interview, reviewer=reviewer, kind=Kind.CLAIM, now=now, expires_at=expires,
                             max_slot=target)
        except IntegrityError:
            held = current_claim(reviewer, now)
            if held is not None:
                return held
            continue
        if slot is not None:
            mark_in_review(interview, reviewer)
            record_audit(actor=reviewer, verb="review.claim", target=slot,
                         data={"interview": interview.pk, "expires_at": expires.isoformat()})
            return slot
    if ValuesSeen.objects.filter(user=reviewer, interview__status__in=selectors.REVIEWABLE).exists():
        raise ServiceError("No interview is waiting for you right now. Interviews whose reviewers' values you have "
                           "seen are never offered to you (your review would not be blind). Check back later.", "queue")
    raise ServiceError("No interview is waiting for you right now. Check back later.", "queue")


@transaction.atomic
def release_assignment(*, reviewer: User, assignment: Assignment) -> None:
    """Give a claimed or assigned slot back (a draft, if any, is kept)."""
    released = Assignment.objects.filter(pk=assignment.pk, reviewer=reviewer, review__isnull=True).update(
        reviewer=None, kind=Kind.OPEN, claimed_at=None, expires_at=None, due_at=None, assigned_by=None)
    if not released:
        raise ServiceError("You do not hold this review place.", "assignment")
    record_audit(actor=reviewer, verb="review.release", target=assignment, data={"interview": assignment.interview_id})


@transaction.atomic
def assign_reviewer(*, actor: User, interview: Interview, reviewer: User, due_at: datetime | None = None) -> Assignment:
    """A curator assigns a reviewer directly. Uses a free slot, or adds one beyond the target."""
    require_curator(actor)
    if selectors.blind_interviews(actor).filter(pk=interview.pk).exists():
        # Whether a reviewer could be assigned (already submitted? holding a place?) would tell the curator who
        # has reviewed an interview they are still blind to; another curator assigns it until they submit.
        raise ServiceError("You are reviewing this interview yourself, so you cannot assign its reviewers until your "
                           "own review is in; ask another curator.", "reviewer")
    if not reviewer.is_reviewer:
        raise ServiceError(f"{reviewer} is not an approved reviewer.", "reviewer")
    if selectors.has_seen_values(reviewer, interview):
        who = "You have" if reviewer.pk == actor.pk else f"{reviewer} has"
        raise ServiceError(f"{who} seen this interview's reviewers' values while it was in review, so cannot take "
                           f"a place on it: the review would not be blind. Assign another reviewer.", "reviewer")
    if interview.status not in selectors.REVIEWABLE:
        raise ServiceError(f"Only submitted interviews can be assigned; this one is {interview.get_status_display().lower()}.",
                           "interview")
    if interview.visibility == Interview.Visibility.PRIVATE:
        raise ServiceError("Private interviews are not reviewed.", "interview")
    reason = selectors.conflict_reason(reviewer, interview)
    if reason:
        raise ServiceError(reason.replace("You ", "The reviewer ").replace("your ", "their ")
                           .replace("You declared", "The reviewer declared"), "reviewer")
    if Review.objects.filter(interview=interview, reviewer=reviewer, status=Review.Status.SUBMITTED).exists():
        raise ServiceError("This reviewer has already reviewed the interview.", "reviewer")
    now = timezone.now()
    if due_at is not None and due_at <= now:
        raise ServiceError("The due date must be in the future.", "due_at")
    held = Assignment.objects.filter(interview=interview, reviewer=reviewer, review__isnull=True).first()
    slot: Assignment | None
    if held is not None and (held.expires_at is None or held.expires_at > now):
        Assignment.objects.filter(pk=held.pk).update(kind=Kind.ASSIGNED, expires_at=None, due_at=due_at,
                                                     assigned_by=actor)
        slot = Assignment.objects.get(pk=held.pk)
    else:
        ensure_slots(interview, selectors.target_reviews_for(interview))
        slot = take_slot(interview=interview, reviewer=reviewer, kind=Kind.ASSIGNED, now=now, expires_at=None,
                         due_at=due_at, assigned_by=actor)
        if slot is None:
            last = Assignment.objects.filter(interview=interview).order_by("-slot").values_list("slot", flat=True).first()
            slot = Assignment.objects.create(interview=interview, slot=(last or 0) + 1, reviewer=reviewer,
                                             kind=Kind.ASSIGNED, claimed_at=now, due_at=due_at, assigned_by=actor)
    mark_in_review(interview, actor)
    record_audit(actor=actor, verb="review.assign", target=slot,
                 data={"interview": interview.pk, "reviewer": reviewer.pk, "due_at": due_at.isoformat() if due_at else None})
    return slot
