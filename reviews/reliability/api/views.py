from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from commons.curators import API_MESSAGE, acts_as_curator, needs_second_factor
from commons.http import acting_user
from commons.params import parse_id
from reviews.reliability import selectors
from reviews.reliability.api.serializers import (
    AgreementResultSerializer,
    FlaggedUnitSerializer,
    RaterBreakdownSerializer,
)
from reviews.reliability.models import AgreementResult, Audience, SliceType

FILTERS = [
    OpenApiParameter("metric", str, description="Metric slug"),
    OpenApiParameter("metric_version", int, description="Metric version id"),
    OpenApiParameter("slice_type", str, enum=SliceType.values),
    OpenApiParameter("slice_value", str, description="e.g. a target model id, tone=warm, human"),
    OpenApiParameter("audience", str, enum=Audience.values,
                     description="`internal` (every interview not withdrawn) is for curators; default `public`"),
]


def _is_curator(request: Request) -> bool:
    """A curator meeting the second-factor rule; one short of it is told why (403 naming the rule)."""
    if needs_second_factor(request):
        raise PermissionDenied(API_MESSAGE)
    return acts_as_curator(request)


@extend_schema_view(list=extend_schema(parameters=FILTERS))
class AgreementViewSet(viewsets.ReadOnlyModelViewSet):
    """Krippendorff's alpha per metric version and slice, with its bootstrap interval and n.

    Public: counts reviewed, publicly listed interviews only. Filters: `metric`, `metric_version`,
    `slice_type`, `slice_value`; curators may ask for `audience=internal`.
    """

    serializer_class = AgreementResultSerializer
    permission_classes = [AllowAny]
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[AgreementResult]:
        params = self.request.query_params
        if self.action != "list":
            return AgreementResult.objects.none()
        errors = {}
        if params.get("slice_type") and params["slice_type"] not in SliceType.values:
            errors["slice_type"] = [f"Choose one of: {', '.join(SliceType.values)}."]
        if params.get("audience") and params["audience"] not in Audience.values:
            errors["audience"] = [f"Choose one of: {', '.join(Audience.values)}."]
        if params.get("metric_version") and parse_id(params["metric_version"]) is None:
            errors["metric_version"] = ["Give a metric version id (a whole number)."]
        if errors:
            raise ValidationError(errors)
        if params.get("audience") == Audience.INTERNAL and not _is_curator(self.request):
            raise PermissionDenied("Internal agreement numbers are for curators.")
        audience = selectors.audience_for(self.request.user, params.get("audience"))
        qs = selectors.filter_results(selectors.agreement_results(self.request.user, audience=audience), params)
        return qs.order_by("metric_version__metric__slug", "metric_version__number", "slice_type", "slice_label", "pk")

    def retrieve(self, request: Request, pk: str) -> Response:
        result = selectors.get_result(request.user, int(pk))
        if result.audience == Audience.INTERNAL:
            _is_curator(request)
        return Response(self.get_serializer(result).data)

    @extend_schema(responses=RaterBreakdownSerializer)
    @action(detail=True, methods=["get"])
    def raters(self, request: Request, pk: str) -> Response:
        """Curators: each rater's leave-one-out alpha and agreement with the rest, and the pairwise matrix."""
        if not _is_curator(request):
            raise PermissionDenied("Reviewer-level agreement is for curators.")
        result = selectors.get_result(request.user, int(pk))
        return Response(RaterBreakdownSerializer(result).data)

    @extend_schema(parameters=[OpenApiParameter("metric", str)], responses=FlaggedUnitSerializer(many=True))
    @action(detail=False, methods=["get"])
    def flagged(self, request: Request) -> Response:
        """Curators: interviews whose reviewers disagree beyond the threshold, worst first (adjudication list)."""
        if not _is_curator(request):
            raise PermissionDenied("The adjudication list is for curators.")
        qs = selectors.adjudication_queue(acting_user(request), metric=request.query_params.get("metric") or None)
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(FlaggedUnitSerializer(page, many=True).data)
