"""Writing reviews: drafts, submission, revisions. Every input is checked before anything is written."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, TypeGuard

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from commons.models import Interview, User
from commons.services import ServiceError, record_audit
from reviews import selectors, signals
from reviews.markdown import render_markdown
from reviews.models import (
    Assignment,
    EvidenceQuote,
    MetricVersion,
    Review,
    ReviewRevision,
    Score,
)
from reviews.services.common import require_reviewer
from reviews.services.metrics import on_grid
from reviews.services.queue import take_slot
from reviews.services.unblinding import record_unblinding, unblinded_at_creation

CANNOT_JUDGE = "cannot-judge"
MAX_CRITIQUE = 20000
MAX_EVIDENCE = 100
MAX_QUOTE = 5000
MAX_NUMBER_CHARS = 40  # a score is a short decimal; longer text is not a score (and huge exponents overflow)

METHOD_FLAGS: dict[str, str] = {
    "leading-question": "Leading questions",
    "pressure": "Pressure or insistence on an answer",
    "missing-disclosure": "Missing or misleading disclosure",
    "loaded-framing": "Loaded or non-neutral framing",
    "anthropomorphizing": "Anthropomorphizing by the interviewer",
    "evaluation-cue": "Cues that this is an evaluation",
    "vocabulary-supplied": "Interviewer supplied the vocabulary",
    "incomplete": "Transcript truncated or incomplete",
}


@dataclass
class CheckedScore:
    version: MetricVersion
    value: float | None
    label: str
    missing_reason: str = ""


@dataclass
class CheckedEvidence:
    turn_index: int | None
    start: int | None
    end: int | None
    quote: str
    version: MetricVersion | None = None
    note: str = ""
    source_field: str = ""


@dataclass
class ReviewContent:
    scores: Mapping[str, Any]
    critique: str = ""
    method_flags: Iterable[str] = ()
    evidence: Iterable[Mapping[str, Any]] = ()


def _is_int(value: object) -> TypeGuard[int]:  # a bool is an int too, but not here
    return isinstance(value, int) and not isinstance(value, bool)


def check_value(version: MetricVersion, raw: Any, field: str) -> CheckedScore:
    """A value on this version's scale, or ServiceError naming `field`. None / 'cannot-judge' is missing."""
    if raw is None or raw == CANNOT_JUDGE:
        return CheckedScore(version, None, "", "cannot judge")
    if not version.is_numeric:
        if not isinstance(raw, str) or raw not in version.values:
            allowed = ", ".join(version.values)
            raise ServiceError(f"“{raw}” is not a value of {version.name} (choose one of: {allowed}, or cannot judge).",
                               field)
        return CheckedScore(version, float(version.values.index(raw)), raw)
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str, Decimal)):
        raise ServiceError(f"{version.name} takes a number.", field)
    try:
        text = str(raw).strip()
    except ValueError:  # an integer too long to print
        text = ""
    if not text or len(text) > MAX_NUMBER_CHARS:
        raise ServiceError(f"{version.name} takes a number of at most {MAX_NUMBER_CHARS} characters, "
                           f"within {version.describe_scale()}.", field)
    try:
        number = Decimal(text)
    except (InvalidOperation, ValueError):
        raise ServiceError(f"“{text}” is not a number; {version.name} takes {version.describe_scale()}.", field) from None
    if not number.is_finite():
        raise ServiceError(f"{version.name} takes a finite number.", field)
    assert version.minimum is not None and version.maximum is not None  # numeric_scale_has_range
    try:
        if number < version.minimum or number > version.maximum:
            raise ServiceError(f"{text} is outside {version.name}'s range {version.describe_scale()}.", field)
        if not on_grid(number, version.minimum, version.step):
            raise ServiceError(f"{text} is not on {version.name}'s scale ({version.describe_scale()}).", field)
    except ArithmeticError:  # an exponent beyond what decimal arithmetic handles
        raise ServiceError(f"{text} is outside {version.name}'s range {version.describe_scale()}.", field) from None
    return CheckedScore(version, float(number), "")


def _rubric_lookup(interview: Interview) -> tuple[list[MetricVersion], dict[str, MetricVersion]]:
    versions = selectors.rubric_versions(selectors.rubric_for(interview), scored_only=True)
    lookup: dict[str, MetricVersion] = {}
    for version in versions:
        lookup[version.metric.slug] = version
        lookup[f"{version.metric.slug}@{version.number}"] = version
        lookup[str(version.pk)] = version
    return versions, lookup


def _resolve(lookup: dict[str, MetricVersion], key: Any, field: str) -> MetricVersion:
    version = lookup.get(str(key).strip())
    if version is None:
        raise ServiceError(f"“{key}” is not a metric of this interview's rubric.", field)
    return version


def check_scores(interview: Interview, scores: Mapping[str, Any]) -> list[CheckedScore]:
    if not isinstance(scores, Mapping):
        raise ServiceError("Scores must map each metric to a value (or null for cannot judge).", "scores")
    _, lookup = _rubric_lookup(interview)
    checked: dict[int, CheckedScore] = {}
    for key, raw in scores.items():
        field = f"scores.{key}"
        version = _resolve(lookup, key, field)
        if version.pk in checked:
            raise ServiceError(f"{version.name} is scored twice.", field)
        checked[version.pk] = check_value(version, raw, field)
    return list(checked.values())


def check_evidence(interview: Interview, items: Iterable[Mapping[str, Any]]) -> list[CheckedEvidence]:
    items = list(items or [])
    if len(items) > MAX_EVIDENCE:
        raise ServiceError(f"At most {MAX_EVIDENCE} evidence quotes.", "evidence")
    texts = dict(interview.turns.values_list("index", "text"))
    _, lookup = _rubric_lookup(interview)
    checked = []
    for i, item in enumerate(items):
        here = f"evidence[{i}]"
        if not isinstance(item, Mapping):
            raise ServiceError("Each evidence quote is an object with turn, start and end.", here)
        turn, start, end = item.get("turn"), item.get("start"), item.get("end")
        if not _is_int(turn) or turn not in texts:
            raise ServiceError(f"Turn {turn!r} is not a turn of this transcript.", f"{here}.turn")
        text = texts[turn]
        if not _is_int(start) or not _is_int(end):
            raise ServiceError("start and end are character offsets (integers).", f"{here}.start")
        if not 0 <= start < end <= len(text):
            raise ServiceError(f"The span {start}–{end} is outside turn {turn}, which has {len(text)} characters.",
                               f"{here}.end")
        if end - start > MAX_QUOTE:
            raise ServiceError(f"Quote at most {MAX_QUOTE} characters.", f"{here}.end")
        quote = text[start:end]
        given = item.get("quote")
        if given not in (None, "") and given != quote:
            raise ServiceError("The quote does not match the transcript at that span.", f"{here}.quote")
        version = None
        if item.get("metric") not in (None, ""):
            version = _resolve(lookup, item["metric"], f"{here}.metric")
        note = item.get("note") or ""
        if not isinstance(note, str) or len(note) > 2000:
            raise ServiceError("A note is text of at most 2,000 characters.", f"{here}.note")
        checked.append(CheckedEvidence(turn, start, end, quote, version, note.strip()))
    return checked


def check_flags(flags: Iterable[str]) -> list[str]:
    flags = list(flags or [])
    unknown = [f for f in flags if f not in METHOD_FLAGS]
    if unknown:
        raise ServiceError(f"Unknown method flag(s): {', '.join(map(str, unknown))}.", "method_flags")
    return sorted(set(flags), key=list(METHOD_FLAGS).index)


def check_critique(critique: str) -> str:
    if not isinstance(critique, str):
        raise ServiceError("The critique is Markdown text.", "critique")
    critique = critique.strip()
    if len(critique) > MAX_CRITIQUE:
        raise ServiceError(f"The critique is at most {MAX_CRITIQUE:,} characters.", "critique")
    return critique


def write_revision_content(revision: ReviewRevision, *, scores: list[CheckedScore], critique: str, flags: list[str],
                           evidence: list[CheckedEvidence]) -> None:
    revision.critique = critique
    revision.critique_html = render_markdown(critique) if critique else ""
    revision.method_flags = flags
    revision.save()
    revision.scores.all().delete()
    revision.evidence.all().delete()
    Score.objects.bulk_create(Score(revision=revision, metric_version=s.version, value=s.value, label=s.label,
                                    missing_reason=s.missing_reason) for s in scores)
    EvidenceQuote.objects.bulk_create(
        EvidenceQuote(revision=revision, metric_version=e.version, turn_index=e.turn_index, start=e.start, end=e.end,
                      quote=e.quote, note=e.note, source_field=e.source_field, position=i)
        for i, e in enumerate(evidence))


def _eligible(reviewer: User, interview: Interview) -> None:
    require_reviewer(reviewer)
    reason = selectors.conflict_reason(reviewer, interview)
    if reason:
        raise ServiceError(reason, "interview")
    if interview.status not in (Interview.Status.SUBMITTED, Interview.Status.IN_REVIEW, Interview.Status.REVIEWED):
        raise ServiceError(f"This interview is {interview.get_status_display().lower()} and cannot be reviewed.",
                           "interview")


def _review_for_writing(reviewer: User, interview: Interview) -> Review:
    """The reviewer's review of the interview, locked; created only while they hold a slot for it."""
    review = Review.objects.select_for_update().filter(interview=interview, reviewer=reviewer).first()
    if review is not None:
        return review
    if selectors.held_assignment(reviewer, interview) is None:
        raise ServiceError("Claim this interview from your review queue (or be assigned it) before reviewing it.",
                           "assignment")
    try:
        with transaction.atomic():
            Review.objects.create(interview=interview, kind=Review.Kind.HUMAN, reviewer=reviewer,
                                  unblinded_at=unblinded_at_creation(interview, timezone.now()))
    except IntegrityError:
        pass  # created concurrently from another tab
    return Review.objects.select_for_update().get(interview=interview, reviewer=reviewer)


def _same_as_current(review: Review, scores: list[CheckedScore], critique: str, flags: list[str],
                     evidence: list[CheckedEvidence]) -> bool:
    current = review.current_revision
    if current is None:
        return False
    old_scores = {(s.metric_version_id, s.value, s.label) for s in current.scores.all()}
    new_scores = {(s.version.pk, s.value, s.label) for s in scores}
    old_evidence = [(e.turn_index, e.start, e.end, e.metric_version_id, e.note) for e in current.evidence.all()]
    new_evidence = [(e.turn_index, e.start, e.end, e.version.pk if e.version else None, e.note) for e in evidence]
    return (old_scores == new_scores and current.critique == critique and list(current.method_flags) == flags
            and old_evidence == new_evidence)


@transaction.atomic
def save_draft(*, reviewer: User, interview: Interview, content: ReviewContent) -> ReviewRevision:
    """Save the reviewer's working draft (partial scores allowed). After submission this opens the next revision."""
    _eligible(reviewer, interview)
    scores = check_scores(interview, content.scores)
    critique = check_critique(content.critique)
    flags = check_flags(content.method_flags)
    evidence = check_evidence(interview, content.evidence)
    review = _review_for_writing(reviewer, interview)
    draft = review.revisions.filter(is_draft=True).first()
    if draft is None:
        if _same_as_current(review, scores, critique, flags, evidence):
            raise ServiceError("This review is already submitted with exactly this content; change something to "
                               "start a new revision.", "status")
        number = (review.revisions.aggregate(n=Max("number"))["n"] or 0) + 1
        draft = ReviewRevision.objects.create(review=review, number=number, is_draft=True)
    write_revision_content(draft, scores=scores, critique=critique, flags=flags, evidence=evidence)
    return draft


def _fill_slot(review: Review, reviewer: User, interview: Interview) -> None:
    now = timezone.now()
    if Assignment.objects.filter(review=review).exists():
        return
    mine = Assignment.objects.filter(interview=interview, reviewer=reviewer, review__isnull=True)
    if mine.update(review=review, filled_at=now):
        return
    # The claim lapsed and was handed to someone else; take any place still free, if one is.
    target = selectors.target_reviews_for(interview)
    try:
        slot = take_slot(interview=interview, reviewer=reviewer, kind=Assignment.Kind.CLAIM, now=now, expires_at=None,
                         max_slot=target, review=review)
    except IntegrityError:
        slot = None
    if slot is None:
        raise ServiceError("Your claim on this interview lapsed and its review places have been taken since. "
                           "Your draft is kept.", "assignment")


def _update_interview_status(interview: Interview, actor: User) -> None:
    """Called holding the interview's row lock, so concurrent submissions count each other."""
    target = selectors.target_reviews_for(interview)
    done = Review.objects.filter(interview=interview, kind=Review.Kind.HUMAN, status=Review.Status.SUBMITTED).count()
    previous = interview.status
    if done >= target and previous in (Interview.Status.SUBMITTED, Interview.Status.IN_REVIEW):
        interview.status = Interview.Status.REVIEWED
    elif previous == Interview.Status.SUBMITTED:
        interview.status = Interview.Status.IN_REVIEW
    if interview.status != previous:
        interview.save(update_fields=["status"])
        record_audit(actor=actor, verb=f"interview.{interview.status}", target=interview,
                     data={"previous_status": previous, "target_reviews": target})


@transaction.atomic
def submit_review(*, reviewer: User, interview: Interview, content: ReviewContent | None = None) -> Review:
    """Submit the open draft (saving `content` into it first, if given) as the review's next revision.

    Every metric of the rubric must have a value or 'cannot judge'. The first submission fills the
    reviewer's slot; when the interview reaches its target it becomes "reviewed" and its reviews public.
    """
    Interview.objects.select_for_update().filter(pk=interview.pk).values_list("pk", flat=True).get()
    interview = Interview.objects.select_related("contributor", "study").get(pk=interview.pk)
    draft: ReviewRevision | None
    if content is not None:
        draft = save_draft(reviewer=reviewer, interview=interview, content=content)
    else:
        _eligible(reviewer, interview)
        review = Review.objects.select_for_update().filter(interview=interview, reviewer=reviewer).first()
        draft = review.revisions.filter(is_draft=True).first() if review else None
        if draft is None:
            if review is not None and review.status == Review.Status.SUBMITTED:
                raise ServiceError("This review is already submitted; save changes first to submit a new revision.",
                                   "status")
            raise ServiceError("There is no draft to submit; score the interview first.", "scores")
    review = Review.objects.select_for_update().get(pk=draft.review_id)
    versions, _ = _rubric_lookup(interview)
    scored = set(draft.scores.values_list("metric_version_id", flat=True))
    unscored = [v.name for v in versions if v.pk not in scored]
    if unscored:
        raise ServiceError("Give every metric a value or mark it “cannot judge”. Still open: " + ", ".join(unscored) + ".",
                           "scores")
    stale = scored - {v.pk for v in versions}
    if stale:
        raise ServiceError("The rubric changed since this draft was saved; re-score the metrics shown.", "scores")
    first = review.status == Review.Status.DRAFT
    if first:
        _fill_slot(review, reviewer, interview)
    now = timezone.now()
    ReviewRevision.objects.filter(review=review, is_current=True).update(is_current=False)
    draft.is_draft = False
    draft.is_current = True
    draft.submitted_at = now
    draft.save(update_fields=["is_draft", "is_current", "submitted_at"])
    review.status = Review.Status.SUBMITTED
    review.current_revision = draft
    if first:
        review.submitted_at = now
    review.save(update_fields=["status", "current_revision", "submitted_at"])
    record_audit(actor=reviewer, verb="review.submit" if first else "review.revise", target=review,
                 data={"interview": interview.pk, "revision": draft.number})
    _update_interview_status(interview, reviewer)
    record_unblinding(review, now)
    signals.review_submitted.send(sender=Review, review=review)
    return review


@transaction.atomic
def discard_draft(*, reviewer: User, review: Review) -> None:
    """Throw away an unsubmitted revision (the submitted history is untouched)."""
    if review.reviewer_id != reviewer.pk:
        raise ServiceError("This is not your review.", "review")
    deleted, _ = ReviewRevision.objects.filter(review=review, is_draft=True).delete()
    if not deleted:
        raise ServiceError("There is no draft to discard.", "review")
    if review.status == Review.Status.DRAFT:
        Review.objects.filter(pk=review.pk).delete()
