"""Reads for peer review, always through the acting user's scope.

The blind rule lives here: a review's content (scores, critique, evidence, even how many reviews
exist) is shown to a user only when the interview is reviewed, or when that user has submitted
their own review of it. Every page and API endpoint reads reviews through these functions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict, TypeGuard

from django.contrib.auth.models import AnonymousUser
from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from commons import names
from commons.models import Interview, Turn, User
from commons.redaction import withholds_source_material
from commons.selectors import viewable_interviews
from reviews import conf
from reviews.models import (
    Assignment,
    EvidenceQuote,
    Metric,
    MetricVersion,
    Review,
    ReviewerApplication,
    ReviewerProfile,
    ReviewRevision,
    Rubric,
    RubricItem,
    Score,
    StudyReviewConfig,
    ValuesSeen,
)

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

Status = Interview.Status
REVIEWABLE = [Status.SUBMITTED, Status.IN_REVIEW]


def _is_user(user: User | AnonymousUser | None) -> TypeGuard[User]:
    return bool(user is not None and user.is_authenticated)


# --- metrics and rubrics ------------------------------------------------------------------


def metrics_with_versions() -> QuerySet[Metric]:
    return Metric.objects.prefetch_related(Prefetch("versions", queryset=MetricVersion.objects.order_by("-number")))


def get_metric(slug: str) -> Metric:
    metric = metrics_with_versions().filter(slug=slug).first()
    if metric is None:
        raise Http404("No such metric.")
    return metric


def get_metric_version(slug: str, number: int) -> MetricVersion:
    version = MetricVersion.objects.select_related("metric").filter(metric__slug=slug, number=number).first()
    if version is None:
        raise Http404("No such metric version.")
    return version


def default_rubric() -> Rubric | None:
    return Rubric.objects.filter(is_default=True).first()


def study_config(study) -> StudyReviewConfig | None:
    if study is None:
        return None
    return StudyReviewConfig.objects.select_related("rubric").filter(study=study).first()


def rubric_for(interview: Interview) -> Rubric | None:
    """The study's rubric, else the default rubric."""
    config = study_config(interview.study) if interview.study_id else None
    if config and config.rubric_id:
        return config.rubric
    return default_rubric()


def target_reviews_for(interview: Interview) -> int:
    config = study_config(interview.study) if interview.study_id else None
    return config.target_reviews if config else conf.default_target_reviews()


def rubric_versions(rubric: Rubric | None, *, scored_only: bool = False) -> list[MetricVersion]:
    """The rubric's versions in order; `scored_only` leaves out derived ones (computed, never scored by a rater)."""
    if rubric is None:
        return []
    items = RubricItem.objects.filter(rubric=rubric).select_related("version__metric").order_by("position", "id")
    return [item.version for item in items if not (scored_only and item.version.is_derived)]


def get_rubric(slug: str) -> Rubric:
    rubric = Rubric.objects.filter(slug=slug).first()
    if rubric is None:
        raise Http404("No such rubric.")
    return rubric


# --- reviewers ------------------------------------------------------------------------------


def reviewer_profile(user: User) -> ReviewerProfile | None:
    return ReviewerProfile.objects.filter(user=user).first()


def own_applications(user: User) -> QuerySet[ReviewerApplication]:
    return ReviewerApplication.objects.filter(applicant=user)


def pending_applications() -> QuerySet[ReviewerApplication]:
    return ReviewerApplication.objects.filter(status=ReviewerApplication.Status.PENDING).select_related("applicant")


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


def declared_affiliations(user: User) -> set[str]:
    profile = reviewer_profile(user)
    values = {user.affiliation, profile.affiliation if profile else ""}
    return {v.strip() for v in values if v and v.strip()}


def declared_conflicts(user: User) -> list[str]:
    profile = reviewer_profile(user)
    return [c.strip() for c in (profile.conflicts if profile else []) if isinstance(c, str) and c.strip()]


def _conflict_filter(reviewer: User) -> Q | None:
    """Interviews whose contributor shares the reviewer's affiliation or is a declared conflict."""
    q = Q()
    found = False
    for affiliation in declared_affiliations(reviewer):
        q |= Q(contributor__affiliation__iexact=affiliation)
        found = True
    for conflict in declared_conflicts(reviewer):
        q |= Q(contributor__email__iexact=conflict) if "@" in conflict else Q(contributor__affiliation__iexact=conflict)
        found = True
    return q if found else None


def conflict_reason(reviewer: User, interview: Interview) -> str | None:
    """Why this reviewer may not review this interview, or None. Never names anything the reviewer did not declare."""
    if interview.contributor_id == reviewer.pk:
        return "You cannot review your own interview."
    contributor = interview.contributor
    their_affiliation = _normal(contributor.affiliation or "")
    if their_affiliation and their_affiliation in {_normal(a) for a in declared_affiliations(reviewer)}:
        return "The contributor shares your declared affiliation."
    for conflict in declared_conflicts(reviewer):
        if "@" in conflict and conflict.casefold() == (contributor.email or "").casefold():
            return "You declared a conflict with this interview's contributor."
        if "@" not in conflict and their_affiliation and _normal(conflict) == their_affiliation:
            return "You declared a conflict with this interview's contributor."
    return None


# --- the queue ------------------------------------------------------------------------------


def held_slots(now=None) -> Q:
    """Slots that count against an interview's target: filled, or held by a live claim or an assignment."""
    now = now or timezone.now()
    return Q(review__isnull=False) | (Q(reviewer__isnull=False) & (Q(expires_at__isnull=True) | Q(expires_at__gt=now)))


class QueueCandidateAnnotations(TypedDict):
    submitted_by_me: bool
    has_my_draft: bool
    holding: bool
    taken: int
    target: int  # reviews the interview needs


def queue_candidates(reviewer: User) -> QuerySet[WithAnnotations[Interview, QueueCandidateAnnotations]]:
    """Interviews this reviewer may claim now, best first: ones they have a draft for, then the nearest to done."""
    now = timezone.now()
    qs = (viewable_interviews(reviewer)
          .filter(status__in=REVIEWABLE)
          .exclude(visibility=Interview.Visibility.PRIVATE)
          .exclude(contributor=reviewer))
    conflicts = _conflict_filter(reviewer)
    if conflicts is not None:
        qs = qs.exclude(conflicts)
    qs = qs.exclude(values_seen_by__user=reviewer)  # they know the reviewers' values: not blind
    mine = Review.objects.filter(interview=OuterRef("pk"), reviewer=reviewer)
    holding = Assignment.objects.filter(interview=OuterRef("pk"), reviewer=reviewer, review__isnull=True).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now))
    taken = (Assignment.objects.filter(interview=OuterRef("pk")).filter(held_slots(now)).exclude(reviewer=reviewer)
             .order_by().values("interview").annotate(n=Count("*")).values("n"))
    default_target = conf.default_target_reviews()
    return (qs.annotate(
                submitted_by_me=Exists(mine.filter(status=Review.Status.SUBMITTED)),
                has_my_draft=Exists(mine.filter(status=Review.Status.DRAFT)),
                holding=Exists(holding),
                taken=Coalesce(Subquery(taken, output_field=IntegerField()), Value(0)),
                target=Coalesce("study__review_config__target_reviews", Value(default_target)))
            .filter(submitted_by_me=False, holding=False)
            .filter(taken__lt=F("target"))
            .order_by("-has_my_draft", "-taken", "submitted_at", "id"))


def has_seen_values(user: User, interview: Interview) -> bool:
    """Whether this user was shown reviewers' values of the interview while it was in review
    (`reviews.services.values_seen`): then they may not take a place on it."""
    return ValuesSeen.objects.filter(user=user, interview=interview).exists()


def live_assignments(reviewer: User) -> QuerySet[Assignment]:
    """Slots this reviewer holds and has not yet filled (a lapsed claim is not held)."""
    now = timezone.now()
    return (Assignment.objects.filter(reviewer=reviewer, review__isnull=True)
            .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
            .select_related("interview__target_model", "interview__study")
            .order_by("expires_at", "due_at", "id"))


def place_interviews(reviewer: User) -> QuerySet:
    """Interviews (their pks) on which this user holds a reviewer's place: a live claim or assignment, a filled
    slot, or a review they wrote. These reviewers read redacted turns (commons.redaction installs this)."""
    now = timezone.now()
    slots = (Assignment.objects.filter(reviewer=reviewer)
             .filter(Q(review__isnull=False) | Q(expires_at__isnull=True) | Q(expires_at__gt=now)))
    wrote = Review.objects.filter(reviewer=reviewer)
    return Interview.objects.filter(Q(pk__in=slots.values("interview_id")) | Q(pk__in=wrote.values("interview_id"))
                                    ).values("pk")


def held_assignment(reviewer: User, interview: Interview) -> Assignment | None:
    return live_assignments(reviewer).filter(interview=interview).first()


def slot_summary(interview: Interview) -> dict:
    """For curators: who holds which slot. Shows people and deadlines, never review content."""
    now = timezone.now()
    slots = list(Assignment.objects.filter(interview=interview).select_related("reviewer").order_by("slot"))
    return {"slots": slots, "now": now, "target": target_reviews_for(interview)}


def slot_summary_for(user: User, interview: Interview) -> dict:
    """`slot_summary`, unless the curator is themselves still reviewing the interview: then how many
    places are filled would reveal others' progress, so the places are not listed."""
    if blind_interviews(user).filter(pk=interview.pk).exists():
        return {"slots": [], "now": timezone.now(), "target": target_reviews_for(interview), "blind_to_places": True}
    return slot_summary(interview)


# --- reviews and the blind rule -------------------------------------------------------------


def own_review(user: User, interview: Interview) -> Review | None:
    if not _is_user(user):
        return None
    return Review.objects.filter(interview=interview, reviewer=user).select_related("current_revision").first()


def has_submitted_review(user: User | AnonymousUser | None, interview: Interview) -> bool:
    if not _is_user(user):
        return False
    return Review.objects.filter(interview=interview, reviewer=user, status=Review.Status.SUBMITTED).exists()


def blind_interviews(user: User | AnonymousUser | None) -> QuerySet[Interview]:
    """Interviews this user is reviewing and has not submitted yet (a place held, or a draft), while the
    interview is not reviewed. Whatever other roles they hold (curator), pages and lists that would show
    other reviewers' work on these interviews must leave them out for this user."""
    if not _is_user(user):
        return Interview.objects.none()
    holding = Q(review_slots__reviewer=user, review_slots__review__isnull=True) | Q(
        reviews__reviewer=user, reviews__status=Review.Status.DRAFT)
    submitted = Review.objects.filter(reviewer=user, status=Review.Status.SUBMITTED).values("interview")
    return (Interview.objects.exclude(status=Status.REVIEWED).filter(holding)
            .exclude(pk__in=submitted).distinct())


def can_see_reviews(user: User | AnonymousUser | None, interview: Interview) -> bool:
    return interview.status == Status.REVIEWED or has_submitted_review(user, interview)


def judge_scores_public_q(prefix: str = "") -> Q:
    """Interviews whose model-judge values anyone may see: reviewed (the blind rule is over), or in a study
    whose judge scores are published data (`Study.judge_scores_public`). `prefix` reaches the interview
    from another model, e.g. "interview__"."""
    return Q(**{f"{prefix}status": Status.REVIEWED}) | Q(**{f"{prefix}study__judge_scores_public": True})


def judge_scores_are_public(interview: Interview) -> bool:
    """`judge_scores_public_q` for one interview: until then a judge's values are as blind as a person's."""
    if interview.status == Status.REVIEWED:
        return True
    return interview.study is not None and interview.study.judge_scores_public


def can_see_source_scores(user: User | AnonymousUser | None, interview: Interview) -> bool:
    """Scores that came inside the uploaded file (e.g. an Inspect scorer) are reviews too: blind until
    the viewer may see the interview's reviews, except to the contributor, who uploaded them. They are
    automated scores, so a study that publishes its judge scores publishes these too."""
    if _is_user(user) and interview.contributor_id == user.pk:
        return True
    if withholds_source_material(user, interview):  # the scores' free text may quote a redacted turn
        return False
    return can_see_reviews(user, interview) or judge_scores_are_public(interview)


def visible_reviews(user: User | AnonymousUser | None) -> QuerySet[Review]:
    """Submitted reviews this user may read, on interviews they can see: every review once the interview is
    reviewed or they reviewed it; judge reviews also where the study publishes its judge scores."""
    opened = Q(interview__status=Status.REVIEWED) | Q(kind=Review.Kind.JUDGE, interview__study__judge_scores_public=True)
    if _is_user(user):
        opened |= Q(interview__in=Review.objects.filter(reviewer=user, status=Review.Status.SUBMITTED)
                    .values("interview"))
    return (Review.objects.filter(status=Review.Status.SUBMITTED, interview__in=viewable_interviews(user).values("pk"))
            .filter(opened)
            .select_related("reviewer__reviewer_profile", "judge", "current_revision", "interview"))


def get_visible_review(user: User | AnonymousUser | None, pk: int) -> Review:
    """The review, or 404 — the same answer whether it does not exist or is still blind to this user."""
    review = visible_reviews(user).filter(pk=pk).first()
    if review is None and _is_user(user):
        review = Review.objects.filter(pk=pk, reviewer=user).select_related("current_revision", "interview").first()
    if review is None:
        raise Http404("No such review.")
    return review


def revision_detail(revision: ReviewRevision) -> ReviewRevision:
    return (ReviewRevision.objects
            .prefetch_related(Prefetch("scores", queryset=Score.objects.select_related("metric_version__metric")),
                              Prefetch("evidence", queryset=EvidenceQuote.objects.select_related("metric_version__metric")))
            .get(pk=revision.pk))


def submitted_revisions(review: Review) -> QuerySet[ReviewRevision]:
    return (review.revisions.filter(is_draft=False).order_by("-number")
            .prefetch_related(Prefetch("scores", queryset=Score.objects.select_related("metric_version__metric")),
                              Prefetch("evidence", queryset=EvidenceQuote.objects.select_related("metric_version__metric"))))


def open_draft(review: Review | None) -> ReviewRevision | None:
    if review is None:
        return None
    return review.revisions.filter(is_draft=True).first()


def my_reviews(user: User) -> QuerySet[Review]:
    return (Review.objects.filter(reviewer=user).select_related("interview__target_model", "current_revision")
            .order_by("-submitted_at", "-created_at"))


# (metric_version_id, interview_id, review_id, kind, reviewer_id, judge_id, replicate, value, label)
CurrentScoreRow = tuple[int, int, int, str, int | None, int | None, int | None, float | None, str]


def transcript_turns(interview: Interview) -> QuerySet[Turn]:
    return interview.turns.select_related("parent").order_by("index")


def current_scores(metric_version_ids: list[int] | None = None) -> QuerySet[Score, CurrentScoreRow]:
    """Scores of the latest submitted revision of every review — the bulk read agreement uses.

    Rows: (metric_version_id, interview_id, review_id, kind, reviewer_id, judge_id, replicate, value, label).
    """
    qs = Score.objects.filter(revision__is_current=True)
    if metric_version_ids is not None:
        qs = qs.filter(metric_version_id__in=metric_version_ids)
    return qs.values_list("metric_version_id", "revision__review__interview_id", "revision__review_id",
                          "revision__review__kind", "revision__review__reviewer_id", "revision__review__judge_id",
                          "revision__review__replicate", "value", "label")


def blind_revision_q(prefix: str = "") -> Q:
    """Which submitted revisions are their review's blind value: the last one submitted at or before its reviewer's
    unblinding (`reviews.services.unblinding`), the current one while the reviewer is blind (and for judges).
    `prefix` reaches the revision from another model ("revision__" from Score). The one place the rule is written.

    Two parts, so the common case stays the indexed read of current revisions: a current revision that is not
    after unblinding, or the last blind revision of a review revised after unblinding (a few rows, one subquery).
    """
    still_blind = Q(**{f"{prefix}review__unblinded_at__isnull": True}) | Q(
        **{f"{prefix}submitted_at__lte": F(f"{prefix}review__unblinded_at")})
    later_blind = ReviewRevision.objects.filter(review=OuterRef("review"), is_draft=False, number__gt=OuterRef("number"),
                                                submitted_at__lte=OuterRef("review__unblinded_at"))
    last_blind = (ReviewRevision.objects
                  .filter(is_draft=False, review__unblinded_at__isnull=False,
                          submitted_at__lte=F("review__unblinded_at"),
                          review__current_revision__submitted_at__gt=F("review__unblinded_at"))
                  .exclude(Exists(later_blind)).values("pk"))
    return (Q(**{f"{prefix}is_current": True}) & still_blind) | Q(**{f"{prefix}pk__in": last_blind})


def blind_revisions() -> QuerySet[ReviewRevision]:
    """Every submitted review's blind revision (`blind_revision_q`), one per review that has one."""
    return ReviewRevision.objects.filter(review__status=Review.Status.SUBMITTED).filter(blind_revision_q())


def blind_scores() -> QuerySet[Score]:
    """Scores of each submitted review's blind value (`blind_revision_q`) — what headline agreement and every
    explorer number read."""
    return Score.objects.filter(revision__review__status=Review.Status.SUBMITTED).filter(
        blind_revision_q("revision__"))


def public_name(review: Review) -> str:
    """How a review's author is shown: the judge, or the person (or their stable pseudonym)."""
    if review.judge is not None:  # a judge's review (the review_rater_matches_kind constraint)
        return f"{review.judge.name} (model judge, prompt {review.prompt_version or '?'}, replicate {review.replicate})"
    return names.public_name(review.reviewer)
