"""Public JSON for the explorer: `/api/v1/patterns/…` serves the same selector output the pages render."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from commons.ratelimits import AnonymousThrottle
from commons.timeouts import statement_timeout
from reviews.explorer import conf, materialize, selectors
from reviews.explorer.api.serializers import ReleaseSerializer
from reviews.explorer.filters import parse_filters
from reviews.explorer.params import parse_drill, parse_version

FILTERS = [
    OpenApiParameter("study", int, description="Study id"),
    OpenApiParameter("interviewer", int, many=True, description="Interviewer id (repeatable)"),
    OpenApiParameter("cond.<factor>", str, description="Condition level, e.g. cond.tone=warm (repeatable)"),
    OpenApiParameter("topic", str),
    OpenApiParameter("raters", str, enum=["all", "human", "judge"], description="Whose reviews make the consensus"),
    OpenApiParameter("judge", int, description="One model judge's scores only"),
    OpenApiParameter("reviewer", int, description="One human reviewer's scores only"),
    OpenApiParameter("from", OpenApiTypes.DATE, description="Conducted on or after"),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Conducted on or before"),
]


class PublicView(APIView):
    """No login: the explorer is public. Anonymous rate limits apply."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [AnonymousThrottle]  # per client address (commons.ratelimits.client_ip), never a raw XFF

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        # Time-limited like the pages (commons/timeouts.py): a read past the limit is a 503 with JSON.
        with materialize.one_reading(), statement_timeout(conf.statement_timeout_ms()):
            return super().dispatch(request, *args, **kwargs)


def _bad(errors: dict[str, list[str]]) -> Response:
    return Response(errors, status=400)


class OverviewView(PublicView):
    @extend_schema(parameters=FILTERS, responses=OpenApiTypes.OBJECT,
                   summary="Models × metrics: consensus mean, 95% bootstrap CI, n interviews, alpha, flags")
    def get(self, request: Request) -> Response:
        parsed = parse_filters(request.query_params)
        if parsed.errors:
            return _bad(parsed.errors)
        return Response(selectors.overview(parsed.filters))


class MetricView(PublicView):
    @extend_schema(parameters=[*FILTERS, OpenApiParameter("version", int, description="Metric version number"),
                               OpenApiParameter("columns", str, enum=["each", "name"],
                                                description="Interviewer columns: each interviewer, or one per name "
                                                            "with its stances pooled (default: name when a name has "
                                                            "several stances)")],
                   responses=OpenApiTypes.OBJECT,
                   summary="One metric version: per model, per model × interviewer (with ranks), condition effects")
    def get(self, request: Request, slug: str) -> Response:
        parsed = parse_filters(request.query_params)
        number = parse_version(request.query_params, parsed)
        if parsed.errors:
            return _bad(parsed.errors)
        return Response(selectors.metric_detail(slug, number, parsed.filters,
                                                columns=request.query_params.get("columns")))


class CoverageView(PublicView):
    @extend_schema(parameters=FILTERS, responses=OpenApiTypes.OBJECT,
                   summary="Per interviewer × metric: interviews assessed and share with no value (cannot judge); "
                           "`adequacy`: per interviewer name and interview-quality metric, the share of interviews "
                           "at each level with n and a 95% Wilson interval, and the coverage-gap sentences")
    def get(self, request: Request) -> Response:
        parsed = parse_filters(request.query_params)
        if parsed.errors:
            return _bad(parsed.errors)
        return Response(selectors.coverage(parsed.filters))


class AgreementView(PublicView):
    @extend_schema(parameters=FILTERS, responses=OpenApiTypes.OBJECT,
                   summary="Krippendorff's alpha with CI per metric version and slice (public results)")
    def get(self, request: Request) -> Response:
        parsed = parse_filters(request.query_params)
        if parsed.errors:
            return _bad(parsed.errors)
        return Response(selectors.agreement(parsed.filters))


class InterviewsView(PublicView):
    @extend_schema(parameters=[*FILTERS, OpenApiParameter("metric_version", int, required=True),
                               OpenApiParameter("at.model", int), OpenApiParameter("at.interviewer", int),
                               OpenApiParameter("at.cond.<factor>", str), OpenApiParameter("missing", bool),
                               OpenApiParameter("page", int)],
                   responses=OpenApiTypes.OBJECT, summary="The interviews behind one number (drill-down)")
    def get(self, request: Request) -> Response:
        drill = parse_drill(request.query_params)
        if drill.parsed.errors or drill.metric_version is None:  # no version is an error too
            return _bad(drill.parsed.errors)
        return Response(selectors.drilldown(drill.parsed.filters, metric_version_id=drill.metric_version,
                                            cell=drill.cell, missing=drill.missing, page=drill.page))


class OptionsView(PublicView):
    @extend_schema(responses=OpenApiTypes.OBJECT, summary="Values the filters can take")
    def get(self, request: Request) -> Response:
        return Response(selectors.filter_options())


class ReleasesView(PublicView):
    @extend_schema(responses=ReleaseSerializer(many=True), summary="Published dataset releases with checksums")
    def get(self, request: Request) -> Response:
        data: Any = ReleaseSerializer(selectors.releases(), many=True, context={"request": request}).data
        return Response(data)

