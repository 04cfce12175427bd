from __future__ import annotations

from django.conf import settings
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, parsers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from commons import selectors, services
from commons.api.pagination import KeysetPagination
from commons.api.serializers import (
    ImportCreateSerializer,
    ImportJobSerializer,
    InterviewCreateSerializer,
    InterviewDetailSerializer,
    InterviewerSerializer,
    InterviewSerializer,
    JudgeScoresPublicSerializer,
    RedactionSerializer,
    StudySerializer,
    TargetModelSerializer,
    WithdrawSerializer,
)
from commons.curators import API_MESSAGE, acts_as_curator, needs_second_factor
from commons.http import acting_user
from commons.models import ImportJob, Interviewer, Redaction, Study, TargetModel
from commons.params import MAX_ID
from commons.ratelimits import ImportThrottle, UploadThrottle

LISTING_FILTERS = [
    OpenApiParameter("target_model", int, description="Target model id"),
    OpenApiParameter("interviewer", int, description="Interviewer id"),
    OpenApiParameter("study", int, description="Study id"),
    OpenApiParameter("status", str, enum=["draft", "submitted", "in_review", "reviewed", "withdrawn"]),
    OpenApiParameter("source_format", str),
    OpenApiParameter("topic", str),
    OpenApiParameter("q", str, description="Search in title, model name and turn text (a redacted turn's text only "
                                         "where you may read it)"),
    OpenApiParameter("condition.<factor>", str, description="e.g. condition.tone=warm"),
    OpenApiParameter("mine", bool, description="Only my own interviews (drafts included)"),
]


class CreateListRetrieveViewSet(mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                                viewsets.GenericViewSet):
    pass


class TargetModelViewSet(CreateListRetrieveViewSet):
    """Target models. Filters: `provider`, `family`, `retired`, `q`."""

    serializer_class = TargetModelSerializer

    def get_queryset(self) -> QuerySet[TargetModel]:
        qs = selectors.visible_models(self.request.user)
        params = self.request.query_params
        if params.get("provider"):
            qs = qs.filter(provider__iexact=params["provider"])
        if params.get("family"):
            qs = qs.filter(family__iexact=params["family"])
        if params.get("retired") in {"true", "false"}:
            qs = qs.filter(retired=params["retired"] == "true")
        if params.get("q"):
            qs = qs.filter(name__icontains=params["q"])
        return qs

    def perform_create(self, serializer: BaseSerializer[TargetModel]) -> None:
        serializer.save(created_by=self.request.user)


class InterviewerViewSet(CreateListRetrieveViewSet):
    """Interviewers. Filters: `kind`, `q`."""

    serializer_class = InterviewerSerializer

    def get_queryset(self) -> QuerySet[Interviewer]:
        qs = selectors.visible_interviewers(self.request.user)
        if self.request.query_params.get("kind"):
            qs = qs.filter(kind=self.request.query_params["kind"])
        if self.request.query_params.get("q"):
            qs = qs.filter(name__icontains=self.request.query_params["q"])
        return qs

    def perform_create(self, serializer: BaseSerializer[Interviewer]) -> None:
        serializer.save(created_by=self.request.user)


class StudyViewSet(CreateListRetrieveViewSet):
    """Studies you may see: those with an interview listed for you, and your own."""

    serializer_class = StudySerializer
    queryset = Study.objects.none()  # names the model for the OpenAPI schema; get_queryset scopes
    lookup_field = "slug"

    def get_queryset(self) -> QuerySet[Study]:
        return selectors.visible_studies(self.request.user)

    def perform_create(self, serializer: BaseSerializer[Study]) -> None:
        serializer.save(created_by=self.request.user)

    @extend_schema(request=JudgeScoresPublicSerializer, responses={200: StudySerializer},
                   summary="Publish (or hide again) the study's model-judge scores before human review ends")
    @action(detail=True, methods=["post"], url_path="judge-scores-public")
    def judge_scores_public(self, request: Request, slug: str | None = None) -> Response:
        study = self.get_object()
        if not services.may_manage_study(acting_user(request), study):
            raise PermissionDenied("Only the study's owner or a curator can change whether its judge scores are public.")
        form = JudgeScoresPublicSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        study = services.set_judge_scores_public(study=study, public=form.validated_data["public"], actor=acting_user(request))
        return Response(StudySerializer(study, context={"request": request}).data)


class InterviewViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Interviews you may see. Create one by POSTing a transcript (JSON or multipart)."""

    pagination_class = KeysetPagination  # the corpus list is the one read in full by scripts, page after page

    def get_queryset(self):
        user = self.request.user
        if self.action == "list":
            qs = selectors.listed_interviews(user)
            if self.request.query_params.get("mine") in {"1", "true"}:
                qs = qs.filter(contributor=acting_user(self.request))
            return selectors.for_listing(selectors.filter_interviews(qs, self.request.query_params, user=user))
        return selectors.viewable_interviews(user).prefetch_related("turns__parent")

    def get_serializer_class(self):
        return InterviewDetailSerializer if self.action == "retrieve" else InterviewSerializer

    def get_throttles(self) -> list:
        return [*super().get_throttles(), *([UploadThrottle()] if self.action == "create" else [])]

    @extend_schema(parameters=LISTING_FILTERS)
    def list(self, request: Request, *args, **kwargs) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=InterviewCreateSerializer, responses={201: InterviewDetailSerializer})
    def create(self, request: Request) -> Response:
        form = InterviewCreateSerializer(data=request.data, context={"request": request})
        form.is_valid(raise_exception=True)
        data = form.validated_data
        if data.get("file"):
            raw, filename = data["file"].read(), data["file"].name
        else:
            raw, filename = data["transcript"].encode("utf-8"), ""
        try:
            interview = services.submit_transcript(
                contributor=acting_user(request), raw=raw, filename=filename, fmt=data.get("format"),
                target_model=data.get("target_model"), interviewer=data.get("interviewer"), study=data.get("study"),
                conditions=data.get("conditions"), topics=data.get("topics"), conducted_on=data.get("conducted_on"),
                licence=data["licence"], visibility=data["visibility"], submit=data["submit"],
                title=data.get("title", ""),
            )
        except services.DuplicateInterview as dup:
            body: dict[str, list[str] | int] = {"transcript": [dup.message]}
            if selectors.viewable_interviews(request.user).filter(pk=dup.existing.pk).exists():
                body["existing"] = dup.existing.pk
            return Response(body, status=status.HTTP_409_CONFLICT)
        interview = selectors.viewable_interviews(request.user).prefetch_related("turns__parent").get(pk=interview.pk)
        return Response(InterviewDetailSerializer(interview, context={"request": request}).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=WithdrawSerializer, responses={200: InterviewSerializer})
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str) -> Response:
        """Withdraw one of your interviews with a reason (kept, hidden from the public)."""
        interview = selectors.get_manageable_interview(request.user, pk, action="withdraw")
        form = WithdrawSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.withdraw_interview(interview=interview, actor=acting_user(request), reason=form.validated_data["reason"])
        return Response(InterviewSerializer(interview, context={"request": request}).data)


    @extend_schema(methods=["get"], responses={200: RedactionSerializer(many=True)},
                   summary="Redactions of this interview (anyone who can see it: the reasons are public)")
    @extend_schema(methods=["post"], request=RedactionSerializer, responses={201: RedactionSerializer},
                   summary="Redact a turn (and_earlier: and every turn before it): the contributor or a curator")
    @action(detail=True, methods=["get", "post"], url_path="redactions", pagination_class=None)
    def redactions(self, request: Request, pk: str) -> Response:
        if request.method == "GET":
            interview = self.get_object()
            return Response(RedactionSerializer(interview.redactions.all(), many=True).data)
        # A curator without the second factor is refused here, 403 with the reason (SecondFactorNeeded).
        interview = selectors.get_manageable_interview(request.user, pk, action="redact")
        user = acting_user(request)
        form = RedactionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        redaction = services.redact_turn(interview=interview, actor=user, turn_index=data["turn_index"],
                                         and_earlier=data.get("and_earlier", False), reason=data["reason"],
                                         as_curator=acts_as_curator(request))
        return Response(RedactionSerializer(redaction).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None}, summary="Lift (un-redact) a redaction: curators only")
    @action(detail=True, methods=["delete"], url_path=r"redactions/(?P<redaction_id>[0-9]+)")
    def lift_redaction(self, request: Request, pk: str, redaction_id: str) -> Response:
        interview = self.get_object()
        found = (Redaction.objects.filter(pk=int(redaction_id), interview=interview).first()
                 if len(redaction_id) < 19 and int(redaction_id) <= MAX_ID else None)
        if found is None:
            raise NotFound("No such redaction.")
        if needs_second_factor(request):
            raise PermissionDenied(API_MESSAGE)
        services.lift_redaction(redaction=found, actor=acting_user(request), as_curator=acts_as_curator(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ImportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Bulk imports: POST a JSONL, archive or log file; poll the job for progress and its per-item report."""

    serializer_class = ImportJobSerializer
    parser_classes = [parsers.MultiPartParser, parsers.FormParser]
    queryset = ImportJob.objects.none()  # names the model for the OpenAPI schema; get_queryset scopes to the owner

    def get_queryset(self) -> QuerySet[ImportJob]:
        return ImportJob.objects.filter(owner=acting_user(self.request)).defer("upload")

    def get_throttles(self) -> list:
        return [*super().get_throttles(), *([ImportThrottle()] if self.action == "create" else [])]

    @extend_schema(request=ImportCreateSerializer, responses={202: ImportJobSerializer})
    def create(self, request: Request) -> Response:
        form = ImportCreateSerializer(data=request.data, context={"request": request})
        form.is_valid(raise_exception=True)
        data = form.validated_data
        upload = data["file"]
        if upload.size > settings.IMPORT_MAX_BYTES:
            raise services.ServiceError(
                f"The upload is {upload.size:,} bytes; the limit is {settings.IMPORT_MAX_BYTES:,}.", "file")
        defaults = services.ImportDefaults(
            licence=data["licence"], visibility=data["visibility"],
            study_id=data["study"].pk if data.get("study") else None,
            target_model_id=data["target_model"].pk if data.get("target_model") else None,
            interviewer_id=data["interviewer"].pk if data.get("interviewer") else None,
            submit=data["submit"],
        )
        job = services.start_import(owner=acting_user(request), filename=upload.name, data=upload.read(), defaults=defaults)
        job.refresh_from_db()
        return Response(ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)
