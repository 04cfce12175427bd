"""REST API for peer review. Thin views over the services and the blind-rule selectors.

Outsiders get 404 for interviews and reviews they cannot see; missing roles get 403; bad input 400
naming the field; nothing about other reviews leaks before the caller has submitted their own.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from commons.curators import API_MESSAGE, acts_as_curator, needs_second_factor
from commons.http import acting_user
from commons.models import Interview, Study
from commons.params import parse_id, require_id
from commons.selectors import get_viewable_interview
from reviews import conf, selectors, services
from reviews.api.serializers import (
    ApplicationInputSerializer,
    ApplicationSerializer,
    AssignInputSerializer,
    AssignmentSerializer,
    CommentInputSerializer,
    DecisionInputSerializer,
    JudgeSerializer,
    MetricCommentSerializer,
    MetricInputSerializer,
    MetricSerializer,
    MetricVersionInputSerializer,
    MetricVersionSerializer,
    OwnReviewSerializer,
    RetireInputSerializer,
    ReviewInputSerializer,
    ReviewSerializer,
    SourceScoresSerializer,
    RevisionSerializer,
    RubricCreateSerializer,
    RubricInputSerializer,
    RubricSerializer,
    StudyConfigInputSerializer,
    StudyReviewConfigSerializer,
)
from reviews.models import Judge, MetricVersion, ReviewerApplication, Rubric


class ReadOnlyOrAuthenticated(permissions.BasePermission):
    """Public standards and published reviews can be read by anyone; writing needs a signed-in user."""

    def has_permission(self, request: Request, view) -> bool:
        return request.method in permissions.SAFE_METHODS or bool(request.user and request.user.is_authenticated)


class RoleErrorsMixin(APIView):
    """NotAllowed from a service is a 403, not a 400."""

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, services.NotAllowed):
            exc = PermissionDenied(exc.message)
        return super().handle_exception(exc)


def _curator(request: Request) -> None:
    user = acting_user(request)
    if needs_second_factor(request):
        raise PermissionDenied(API_MESSAGE)
    if not user.is_curator:
        raise PermissionDenied("Only curators can do this.")


def _reviewer(request: Request) -> None:
    if not acting_user(request).is_reviewer:
        raise PermissionDenied("Only approved reviewers can review. Apply at /review/apply/.")


# --- metrics, rubrics, study settings -------------------------------------------------------------


class MetricViewSet(RoleErrorsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Shared metrics with all their versions. Curators propose (POST), add versions, adopt and retire."""

    serializer_class = MetricSerializer
    permission_classes = [ReadOnlyOrAuthenticated]
    lookup_field = "slug"

    def get_queryset(self):
        return selectors.metrics_with_versions()

    def _version(self, slug: str, number: str) -> MetricVersion:
        return selectors.get_metric_version(slug, int(number))

    @extend_schema(request=MetricInputSerializer, responses={201: MetricVersionSerializer})
    def create(self, request: Request) -> Response:
        _curator(request)
        form = MetricInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        version = services.propose_metric(actor=acting_user(request), slug=form.validated_data["slug"], spec=form.spec(),
                                          change_note=form.validated_data["change_note"])
        return Response(MetricVersionSerializer(version).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=MetricVersionInputSerializer, responses={201: MetricVersionSerializer})
    @action(detail=True, methods=["post"])
    def versions(self, request: Request, slug: str) -> Response:
        """Propose a new version (a changed definition or scale never edits an existing version)."""
        _curator(request)
        metric = selectors.get_metric(slug)
        form = MetricVersionInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        version = services.propose_version(actor=acting_user(request), metric=metric, spec=form.spec(),
                                           change_note=form.validated_data["change_note"])
        return Response(MetricVersionSerializer(version).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: MetricVersionSerializer})
    @action(detail=True, methods=["post"], url_path=r"versions/(?P<number>\d+)/adopt")
    def adopt(self, request: Request, slug: str, number: str) -> Response:
        _curator(request)
        version = services.adopt_version(actor=acting_user(request), version=self._version(slug, number))
        return Response(MetricVersionSerializer(version).data)

    @extend_schema(request=RetireInputSerializer, responses={200: MetricVersionSerializer})
    @action(detail=True, methods=["post"], url_path=r"versions/(?P<number>\d+)/retire")
    def retire(self, request: Request, slug: str, number: str) -> Response:
        _curator(request)
        form = RetireInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        version = services.retire_version(actor=acting_user(request), version=self._version(slug, number),
                                          reason=form.validated_data["reason"])
        return Response(MetricVersionSerializer(version).data)

    @extend_schema(request=CommentInputSerializer, responses={200: MetricCommentSerializer(many=True),
                                                                201: MetricCommentSerializer})
    @action(detail=True, methods=["get", "post"], url_path=r"versions/(?P<number>\d+)/comments")
    def comments(self, request: Request, slug: str, number: str) -> Response:
        """Discussion of a version. Any verified user may comment while it is proposed."""
        version = self._version(slug, number)
        if request.method == "GET":
            return Response(MetricCommentSerializer(version.comments.select_related("author", "version"), many=True).data)
        form = CommentInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        comment = services.comment_on_version(author=acting_user(request), version=version, body=form.validated_data["body"])
        return Response(MetricCommentSerializer(comment).data, status=status.HTTP_201_CREATED)


class RubricViewSet(RoleErrorsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Rubrics: named sets of metric versions. Curators create them and change their versions (PUT)."""

    serializer_class = RubricSerializer
    permission_classes = [ReadOnlyOrAuthenticated]
    lookup_field = "slug"
    queryset = Rubric.objects.order_by("-is_default", "name")

    @extend_schema(request=RubricCreateSerializer, responses={201: RubricSerializer})
    def create(self, request: Request) -> Response:
        _curator(request)
        form = RubricCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        rubric = services.create_rubric(actor=acting_user(request), **form.validated_data)
        return Response(RubricSerializer(rubric).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RubricInputSerializer, responses={200: RubricSerializer})
    def update(self, request: Request, slug: str) -> Response:
        _curator(request)
        rubric = self.get_object()
        form = RubricInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.set_rubric_versions(actor=acting_user(request), rubric=rubric, versions=form.validated_data["versions"])
        return Response(RubricSerializer(rubric).data)


class StudyReviewConfigView(RoleErrorsMixin, APIView):
    """A study's review settings: its rubric (null = the default) and reviews needed per interview."""

    @extend_schema(responses={200: StudyReviewConfigSerializer})
    def get(self, request: Request, slug: str) -> Response:
        study = get_object_or_404(Study, slug=slug)
        config = selectors.study_config(study)
        if config is None:
            return Response({"study": study.slug, "rubric": None,
                             "target_reviews": conf.default_target_reviews()})
        return Response(StudyReviewConfigSerializer(config).data)

    @extend_schema(request=StudyConfigInputSerializer, responses={200: StudyReviewConfigSerializer})
    def put(self, request: Request, slug: str) -> Response:
        _curator(request)
        study = get_object_or_404(Study, slug=slug)
        form = StudyConfigInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        config = services.configure_study_review(actor=acting_user(request), study=study, **form.validated_data)
        return Response(StudyReviewConfigSerializer(config).data)


# --- reviewers ---------------------------------------------------------------------------------------


class ApplicationViewSet(RoleErrorsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Applications to review. Users see their own; curators see all (filter `status`) and decide."""

    serializer_class = ApplicationSerializer
    queryset = ReviewerApplication.objects.none()  # names the model for the OpenAPI schema; get_queryset scopes

    def get_queryset(self) -> QuerySet[ReviewerApplication]:
        qs = ReviewerApplication.objects.select_related("applicant")
        user = acting_user(self.request)
        if not acts_as_curator(self.request):
            qs = qs.filter(applicant=user)
        if self.request.query_params.get("status"):
            qs = qs.filter(status=self.request.query_params["status"])
        return qs

    @extend_schema(request=ApplicationInputSerializer, responses={201: ApplicationSerializer})
    def create(self, request: Request) -> Response:
        form = ApplicationInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        application = services.apply_to_review(user=acting_user(request), **form.validated_data)
        return Response(ApplicationSerializer(application).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=DecisionInputSerializer, responses={200: ApplicationSerializer})
    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk: str) -> Response:
        _curator(request)
        application = self.get_object()
        form = DecisionInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        application = services.decide_application(actor=acting_user(request), application=application,
                                                  approve=form.validated_data["approve"], note=form.validated_data["note"])
        return Response(ApplicationSerializer(application).data)


# --- the queue ----------------------------------------------------------------------------------------


class QueueView(RoleErrorsMixin, APIView):
    """What you hold: your live claim and curator assignments (never anything about others' reviews)."""

    @extend_schema(responses={200: AssignmentSerializer(many=True)})
    def get(self, request: Request) -> Response:
        _reviewer(request)
        return Response(AssignmentSerializer(selectors.live_assignments(acting_user(request)), many=True,
                                             context={"request": request}).data)


class ClaimView(RoleErrorsMixin, APIView):
    @extend_schema(request=None, responses={201: AssignmentSerializer})
    def post(self, request: Request) -> Response:
        """Claim the next interview from your queue (returns your live claim if you hold one)."""
        _reviewer(request)
        slot = services.claim_next(reviewer=acting_user(request))
        return Response(AssignmentSerializer(slot, context={"request": request}).data, status=status.HTTP_201_CREATED)


class ReleaseView(RoleErrorsMixin, APIView):
    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request, pk: int) -> Response:
        slot = selectors.live_assignments(acting_user(request)).filter(pk=pk).first()
        if slot is None:
            raise NotFound("You hold no such review place.")
        services.release_assignment(reviewer=acting_user(request), assignment=slot)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AssignView(RoleErrorsMixin, APIView):
    @extend_schema(request=AssignInputSerializer, responses={201: AssignmentSerializer})
    def post(self, request: Request) -> Response:
        """Curators assign a reviewer to an interview directly."""
        _curator(request)
        form = AssignInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        interview = get_viewable_interview(request.user, form.validated_data["interview"])
        slot = services.assign_reviewer(actor=acting_user(request), interview=interview,
                                        reviewer=form.validated_data["reviewer"], due_at=form.validated_data["due_at"])
        return Response(AssignmentSerializer(slot, context={"request": request}).data, status=status.HTTP_201_CREATED)


# --- writing your review -------------------------------------------------------------------------------


def _content(data: dict) -> services.ReviewContent:
    return services.ReviewContent(scores=data["scores"], critique=data["critique"], method_flags=data["method_flags"],
                                  evidence=data["evidence"])


class OwnReviewView(RoleErrorsMixin, APIView):
    """Your review of an interview: GET it (draft and current revision), PUT a draft, DELETE the draft."""

    def _interview(self, request: Request, pk: int) -> Interview:
        return get_viewable_interview(request.user, pk)

    @extend_schema(responses={200: OwnReviewSerializer})
    def get(self, request: Request, pk: int) -> Response:
        review = selectors.own_review(acting_user(request), self._interview(request, pk))
        if review is None:
            raise NotFound("You have no review of this interview.")
        return Response(OwnReviewSerializer(review, context={"request": request}).data)

    @extend_schema(request=ReviewInputSerializer, responses={200: OwnReviewSerializer})
    def put(self, request: Request, pk: int) -> Response:
        interview = self._interview(request, pk)
        _reviewer(request)
        form = ReviewInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        draft = services.save_draft(reviewer=acting_user(request), interview=interview, content=_content(form.validated_data))
        return Response(OwnReviewSerializer(draft.review, context={"request": request}).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        review = selectors.own_review(acting_user(request), self._interview(request, pk))
        if review is None:
            raise NotFound("You have no review of this interview.")
        services.discard_draft(reviewer=acting_user(request), review=review)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SubmitReviewView(RoleErrorsMixin, APIView):
    @extend_schema(request=ReviewInputSerializer, responses={200: OwnReviewSerializer})
    def post(self, request: Request, pk: int) -> Response:
        """Submit your draft — or, with a body, save it as the draft and submit in one step.

        Every rubric metric needs a value or null ("cannot judge"). Submitting again after a change
        makes a new revision; the history is kept.
        """
        interview = get_viewable_interview(request.user, pk)
        _reviewer(request)
        content = None
        if request.data:
            form = ReviewInputSerializer(data=request.data)
            form.is_valid(raise_exception=True)
            content = _content(form.validated_data)
        review = services.submit_review(reviewer=acting_user(request), interview=interview, content=content)
        return Response(OwnReviewSerializer(review, context={"request": request}).data)


# --- reading reviews (blind) ------------------------------------------------------------------------------


class InterviewReviewsView(APIView):
    """Reviews of one interview. `open` is false until the interview is reviewed or you submitted yours;
    then `reviews` lists them. While closed nothing — not even how many exist — is disclosed, except
    that `judge_scores_public` true (a study whose judge scores are published data) lists the model
    judges' reviews."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(responses={200: None})
    def get(self, request: Request, pk: int) -> Response:
        interview = get_viewable_interview(request.user, pk)
        open_ = selectors.can_see_reviews(request.user, interview)
        judges_public = selectors.judge_scores_are_public(interview)
        reviews = (selectors.visible_reviews(request.user).filter(interview=interview).order_by("kind", "id")
                   if open_ or judges_public else [])
        return Response({"interview": interview.pk, "status": interview.status, "open": open_,
                         "judge_scores_public": judges_public,
                         "reviews": ReviewSerializer(reviews, many=True, context={"request": request}).data})


class InterviewSourceScoresView(APIView):
    """Scores that came inside the uploaded file (a judge's or an Inspect scorer's). Blind like reviews:
    `open` is false and `scores` empty until the caller may see the interview's reviews (the contributor
    always may)."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(responses={200: SourceScoresSerializer})
    def get(self, request: Request, pk: int) -> Response:
        interview = get_viewable_interview(request.user, pk)
        open_ = selectors.can_see_source_scores(request.user, interview)
        return Response(SourceScoresSerializer({
            "interview": interview.pk, "open": open_,
            "scores": interview.source_scores if open_ else {}}).data)


class ReviewViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Submitted reviews you may read. Filters: `interview`, `kind` (human|judge), `judge` (name)."""

    serializer_class = ReviewSerializer
    permission_classes = [permissions.AllowAny]

    def get_queryset(self):
        qs = selectors.visible_reviews(self.request.user).order_by("interview_id", "kind", "id")
        params = self.request.query_params
        if params.get("interview"):
            qs = qs.filter(interview_id=require_id(params["interview"], "interview"))
        if params.get("kind") in {"human", "judge"}:
            qs = qs.filter(kind=params["kind"])
        if params.get("judge"):
            qs = qs.filter(judge__name=params["judge"])
        return qs

    def get_object(self):
        review_id = parse_id(self.kwargs["pk"])
        if review_id is None:
            raise NotFound("No such review.")
        return selectors.get_visible_review(self.request.user, review_id)

    @extend_schema(parameters=[OpenApiParameter("interview", int), OpenApiParameter("kind", str, enum=["human", "judge"]),
                               OpenApiParameter("judge", str)])
    def list(self, request: Request, *args, **kwargs) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={200: RevisionSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def revisions(self, request: Request, pk: str) -> Response:
        """Every submitted revision, newest first (the newest is the one agreement uses)."""
        review = self.get_object()
        return Response(RevisionSerializer(selectors.submitted_revisions(review), many=True,
                                         context={"request": request}).data)


class JudgeViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = JudgeSerializer
    permission_classes = [permissions.AllowAny]
    queryset = Judge.objects.all()
