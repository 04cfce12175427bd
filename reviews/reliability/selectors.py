"""Reads for agreement: the scores a recompute uses, and stored results through the reader's scope.

Public numbers (audience "public") count only interviews that anyone may list *and* whose reviews
are public (status reviewed), so an aggregate never reveals anything about reviews that are still
blind; a model judge's values count before that only where the study publishes its judge scores. Internal numbers count every interview that is not withdrawn; only curators read them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.http import Http404

from commons.models import Interview, Interviewer, Study, TargetModel, User
from commons.names import public_name
from commons.selectors import listed_interviews
from reviews import derived_values
from reviews.models import Judge, MetricVersion, Review, ReviewRevision, Score
from reviews.reliability import conf
from reviews.reliability.models import AgreementResult, Audience, SliceType, UnitDisagreement
from reviews.reliability.slicing import Labels, RatingRow, Scale, UnitInfo, condition_items
from reviews.selectors import blind_interviews, blind_scores, can_see_reviews

NUMERIC_SCALES = ("interval", "ratio")


def _is_curator(user: User | AnonymousUser | None) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_curator)


# --- inputs of a recompute ----------------------------------------------------------------


def scale_of(version: MetricVersion) -> Scale:
    if version.scale_type in NUMERIC_SCALES:
        return Scale(version.scale_type, None)
    return Scale(version.scale_type, tuple(version.values))


def current_ratings(version: MetricVersion, *, blind: bool = False) -> list[RatingRow]:
    """Non-missing scores of every submitted review, on interviews not withdrawn: of its current (newest)
    revision, or with `blind` of its blind value (`reviews.selectors.blind_scores`), which headline alpha uses."""
    scale = scale_of(version)
    scores = (blind_scores() if blind else
              Score.objects.filter(revision__is_current=True, revision__review__status=Review.Status.SUBMITTED))
    scores = scores.exclude(revision__review__interview__status=Interview.Status.WITHDRAWN)
    if version.is_derived:
        return derived_ratings(version, scores)
    qs = scores.filter(metric_version=version)
    numeric = scale.domain is None
    qs = qs.filter(value__isnull=False) if numeric else qs.exclude(label="")
    allowed = set(scale.domain or ())
    rows = []
    for unit, kind, reviewer_id, judge_id, prompt_version, replicate, value, label in qs.values_list(
            "revision__review__interview_id", "revision__review__kind", "revision__review__reviewer_id",
            "revision__review__judge_id", "revision__review__prompt_version", "revision__review__replicate",
            "value", "label").order_by():
        if numeric:
            assert value is not None  # filtered on value__isnull=False above
            rating: Any = float(value)
        elif label in allowed:
            rating = label
        else:
            continue  # a label outside the version's scale cannot be placed; the review service prevents it
        rows.append(RatingRow(unit, kind, reviewer_id, judge_id, prompt_version or "", replicate, rating))
    return rows


def revised_after_unblinding() -> bool:
    """Whether any review's newest revision came after its reviewer's unblinding (else blind = newest everywhere)."""
    return ReviewRevision.objects.filter(is_current=True, review__unblinded_at__isnull=False,
                                         submitted_at__gt=F("review__unblinded_at")).exists()


def derived_ratings(version: MetricVersion, scores: QuerySet[Score]) -> list[RatingRow]:
    """A derived version's ratings: per revision of `scores`, the formula over its own input scores
    (`reviews.derived`); the slices then pool a judge's replicates like any metric's."""
    values = {revision: value for revision, _, value in derived_values.per_revision([version], scores)
              if value is not None}
    rows = []
    for revision_id, unit, kind, reviewer_id, judge_id, prompt_version, replicate in (
            ReviewRevision.objects.filter(pk__in=list(values)).order_by().values_list(
                "pk", "review__interview_id", "review__kind", "review__reviewer_id", "review__judge_id",
                "review__prompt_version", "review__replicate")):
        rows.append(RatingRow(unit, kind, reviewer_id, judge_id, prompt_version or "", replicate, values[revision_id]))
    return rows


def public_unit_ids(unit_ids: set[int]) -> set[int]:
    """Of these interviews, the ones whose human reviews count in public numbers (listed to anyone, reviewed)."""
    return {pk for pk, status in _listed_statuses(unit_ids).items() if status == Interview.Status.REVIEWED}


# Above this many units one scan of the interviews table (kept rows filtered here) beats id lists in chunks.
_SCAN_UNITS = 5000


def _in_chunks(qs: QuerySet[Interview], unit_ids: set[int], *fields: str) -> Iterator[tuple[Any, ...]]:
    """`fields` of the interviews of `qs` among `unit_ids`: by id lists of 500, or for many units one scan."""
    if len(unit_ids) > _SCAN_UNITS:
        yield from (row for row in qs.order_by().values_list(*fields).iterator(chunk_size=20000)
                    if row[0] in unit_ids)
        return
    ids = sorted(unit_ids)
    for start in range(0, len(ids), 500):
        yield from qs.filter(pk__in=ids[start:start + 500]).order_by().values_list(*fields)


def _listed_statuses(unit_ids: set[int]) -> dict[int, str]:
    return {pk: status for pk, status in _in_chunks(listed_interviews(AnonymousUser()), unit_ids, "pk", "status")}


def unit_infos(unit_ids: set[int]) -> dict[int, UnitInfo]:
    statuses = _listed_statuses(unit_ids)
    public = {pk for pk, status in statuses.items() if status == Interview.Status.REVIEWED}
    infos: dict[int, UnitInfo] = {}
    for pk, study_id, target_model_id, interviewer_id, conditions, published in _in_chunks(
            Interview.objects.exclude(status=Interview.Status.WITHDRAWN), unit_ids,
            "pk", "study_id", "target_model_id", "interviewer_id", "conditions", "study__judge_scores_public"):
        infos[pk] = UnitInfo(study_id, target_model_id, interviewer_id,
                             conditions if isinstance(conditions, dict) else {}, pk in public,
                             listed=pk in statuses, judge_scores_published=bool(published))
    return infos


def labels_for(rows: list[RatingRow], units: dict[int, UnitInfo]) -> Labels:
    studies = {i.study_id for i in units.values() if i.study_id is not None}
    models = {i.target_model_id for i in units.values()}
    interviewers = {i.interviewer_id for i in units.values() if i.interviewer_id is not None}
    judges = {r.judge_id for r in rows if r.judge_id is not None}
    reviewers = {r.reviewer_id for r in rows if r.reviewer_id is not None}
    return Labels(
        studies=dict(Study.objects.filter(pk__in=studies).values_list("pk", "title")),
        target_models=dict(TargetModel.objects.filter(pk__in=models).values_list("pk", "name")),
        interviewers={pk: f"{name} ({stance})" if stance else name
                      for pk, name, stance in Interviewer.objects.filter(pk__in=interviewers)
                      .values_list("pk", "name", "stance")},
        judges=dict(Judge.objects.filter(pk__in=judges).values_list("pk", "name")),
        reviewers={u.pk: public_name(u) for u in User.objects.filter(pk__in=reviewers)},
    )


def metric_versions_with_scores() -> QuerySet[MetricVersion]:
    """Versions with a score or a stored result. Two EXISTS, not two LEFT JOINs ORed under DISTINCT: the joins
    multiply scores by results before DISTINCT folds them (94.6 s on the real corpus in PostgreSQL; this, ms)."""
    scored = Exists(Score.objects.filter(metric_version=OuterRef("pk")))
    stored = Exists(AgreementResult.objects.filter(metric_version=OuterRef("pk")))
    derived = [v.pk for v in derived_values.derived_versions()  # derived: when an input has scores
               if Score.objects.filter(metric_version_id__in=v.formula_inputs).exists()]
    return (MetricVersion.objects.filter(scored | stored | Q(pk__in=derived))
            .select_related("metric").order_by("metric__slug", "number"))


# --- stored results -----------------------------------------------------------------------


def audience_for(user: User | AnonymousUser | None, requested: str | None) -> str:
    """The audience a reader gets: internal only for curators who ask for it."""
    if requested == Audience.INTERNAL and _is_curator(user):
        return Audience.INTERNAL
    return Audience.PUBLIC


def _slices_holding(interviews: QuerySet[Interview]) -> Q | None:
    """Results whose slice may count human reviews of these interviews (None: no interview given).

    Judge-only slices (one judge's replicates, judges only) are left out: they say nothing about people."""
    match = Q()
    found = False
    for study_id, model_id, interviewer_id, conditions in interviews.values_list(
            "study_id", "target_model_id", "interviewer_id", "conditions"):
        found = True
        match |= Q(slice_type__in=[SliceType.ALL, SliceType.HUMAN_JUDGE])
        match |= Q(slice_type=SliceType.REVIEWER_KIND, slice_value="human")
        match |= Q(slice_type=SliceType.TARGET_MODEL, slice_value=str(model_id))
        if study_id is not None:
            match |= Q(slice_type=SliceType.STUDY, slice_value=str(study_id))
        if interviewer_id is not None:
            match |= Q(slice_type=SliceType.INTERVIEWER, slice_value=str(interviewer_id))
        levels = [f"{factor}={value}" for factor, value in condition_items(conditions if isinstance(conditions, dict)
                                                                          else {})]
        if levels:
            match |= Q(slice_type=SliceType.CONDITION, slice_value__in=levels)
    return match if found else None


def withheld_while_reviewing(user: User | AnonymousUser | None) -> Q | None:
    """Internal results a curator may not read while they hold a review place: every slice that could count an
    interview they are still reviewing. Its rater list, counts and alpha would show who has submitted."""
    return _slices_holding(blind_interviews(user)) if _is_curator(user) else None


def agreement_results(user: User | AnonymousUser | None, *,
                      audience: str = Audience.PUBLIC) -> QuerySet[AgreementResult]:
    """Stored results this reader may see; internal ones only for curators, and not those that could count an
    interview the curator is still reviewing (see `withheld_while_reviewing`)."""
    qs = AgreementResult.objects.select_related("metric_version__metric")
    if audience == Audience.INTERNAL and _is_curator(user):
        internal = qs.filter(audience=Audience.INTERNAL)
        withheld = withheld_while_reviewing(user)
        return internal.exclude(withheld) if withheld is not None else internal
    return qs.filter(audience=Audience.PUBLIC)


def withheld_count(user: User | AnonymousUser | None) -> int:
    """How many internal results `agreement_results` leaves out for this curator (a count of slices, not of people)."""
    withheld = withheld_while_reviewing(user)
    if withheld is None:
        return 0
    return AgreementResult.objects.filter(withheld, audience=Audience.INTERNAL).count()


def filter_results(qs: QuerySet[AgreementResult], params: Any) -> QuerySet[AgreementResult]:
    """Filters shared by the page and the API (callers validate the values first)."""
    if params.get("metric"):
        qs = qs.filter(metric_version__metric__slug=params["metric"])
    if params.get("metric_version"):
        qs = qs.filter(metric_version_id=params["metric_version"])
    if params.get("slice_type"):
        qs = qs.filter(slice_type=params["slice_type"])
    if params.get("slice_value") is not None and params.get("slice_value") != "":
        qs = qs.filter(slice_value=params["slice_value"])
    return qs


SLICE_ORDER = [choice for choice in SliceType.values]


def get_result(user: User | AnonymousUser | None, pk: int) -> AgreementResult:
    """A result, or 404 for internal results outside curators (their existence is not revealed)."""
    qs = AgreementResult.objects.select_related("metric_version__metric")
    if not _is_curator(user):
        qs = qs.filter(audience=Audience.PUBLIC)
    elif (withheld := withheld_while_reviewing(user)) is not None:
        qs = qs.exclude(withheld & Q(audience=Audience.INTERNAL))
    result = qs.filter(pk=pk).first()
    if result is None:
        raise Http404("No such agreement result.")
    return result


@dataclass(frozen=True)
class DispersionRow:
    metric_version: MetricVersion
    n_values: int
    values: list[Any]
    relative_disagreement: float | None
    value_range: float | None
    value_std: float | None
    flagged: bool


def interview_dispersion(user: User | AnonymousUser | None, interview: Interview) -> list[DispersionRow]:
    """Per-metric disagreement on one interview, once this user may see its reviews (never before)."""
    if interview.is_withdrawn or not can_see_reviews(user, interview):
        return []
    threshold = conf.flag_threshold()
    rows = (UnitDisagreement.objects.filter(interview=interview)
            .select_related("metric_version__metric")
            .order_by("metric_version__name", "metric_version__number"))
    return [DispersionRow(r.metric_version, r.n_values, r.values, r.relative_disagreement, r.value_range, r.value_std,
                          r.relative_disagreement is not None and r.relative_disagreement > threshold)
            for r in rows]


def adjudication_queue(user: User, *, metric: str | None = None) -> QuerySet[UnitDisagreement]:
    """Units whose reviewers disagree beyond the threshold, worst first. Curators only (callers check)."""
    if not _is_curator(user):
        return UnitDisagreement.objects.none()
    # Only interviews whose reviews are public (reviewed): the list shows reviewers' values, and a curator who saw
    # them for an interview still in review could then take a place on it and not be blind. (Reviewed interviews
    # take no new reviewer, and a reviewed interview is never blind to anyone, so `blind_interviews` is moot here.)
    qs = (UnitDisagreement.objects.filter(relative_disagreement__gt=conf.flag_threshold(),
                                          interview__status=Interview.Status.REVIEWED)
          .select_related("metric_version__metric", "interview__target_model")
          .order_by("-relative_disagreement", "interview_id", "metric_version_id"))
    if metric:
        qs = qs.filter(metric_version__metric__slug=metric)
    return qs
