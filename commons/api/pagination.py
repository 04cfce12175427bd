"""The API's one paginator: `limit` and `offset` are checked, never passed to the database as they come.

DRF's LimitOffsetPagination has no upper bound on `limit` and none on `offset`, so
`limit=9223372036854775808` overflowed the database's LIMIT (a 500 on every list). Here a `limit`
above MAX_LIMIT is served as MAX_LIMIT (DRF's `max_limit` behaviour); anything that is not a
whole number in range is a 400 naming the parameter.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from django.db.models import Q
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from commons.params import MAX_ID

MAX_LIMIT = 500


def parse_count(raw: str, name: str, *, minimum: int, maximum: int | None) -> int:
    text = raw.strip()
    if not text.isascii() or not text.isdigit():
        raise ValidationError({name: [f"“{raw[:40]}” is not a whole number; {name} takes one of at least {minimum}."]})
    if maximum is not None and (len(text) > len(str(maximum)) or int(text) > maximum):
        raise ValidationError({name: [f"{name} is at most {maximum}."]})
    value = int(text) if len(text) <= 19 else MAX_ID
    if value < minimum:
        raise ValidationError({name: [f"{name} is at least {minimum}."]})
    return value


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    max_limit = MAX_LIMIT

    def get_limit(self, request: Request) -> int | None:
        raw = request.query_params.get(self.limit_query_param)
        if raw is None or raw == "":
            return self.default_limit
        return min(parse_count(raw, self.limit_query_param, minimum=1, maximum=None), self.max_limit)

    def get_offset(self, request: Request) -> int:
        raw = request.query_params.get(self.offset_query_param)
        if raw is None or raw == "":
            return 0
        return parse_count(raw, self.offset_query_param, minimum=0, maximum=MAX_ID)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        bounds = {self.limit_query_param: {"minimum": 1},
                  self.offset_query_param: {"minimum": 0, "maximum": MAX_ID}}
        for parameter in parameters:
            parameter["schema"].update(bounds.get(parameter["name"], {}))
            if parameter["name"] == self.limit_query_param:
                parameter["description"] = f"Number of results to return per page (at most {self.max_limit})."
        return parameters


class KeysetPagination(BoundedLimitOffsetPagination):
    """Interviews by position, not by count: `cursor=` (from a page's `next` / `previous` link) resumes after
    (or before) the (created_at, id) of the row it names, so page 4,000 costs what page 1 costs; an offset
    makes the database walk past every row before it. `offset` still works, and every page's `next` and
    `previous` links are cursors, so a client that follows them never asks for a deep offset. `count` is
    the whole result's, as on every list. The cursor is opaque (URL-safe base64 of JSON); a bad one is a 400."""

    cursor_query_param = "cursor"
    ordering = ("-created_at", "-id")  # the model's ordering, unique by its last field

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list[Any] | None:
        raw = request.query_params.get(self.cursor_query_param)
        if raw is None or raw == "":
            page: list[Any] | None = super().paginate_queryset(queryset.order_by(*self.ordering), request, view)
            offset, count = self.offset or 0, self.count or 0
            self.has_before = offset > 0
            self.has_after = offset + (self.limit or 0) < count
            self.page: list[Any] = page or []
            return page
        self.limit = self.get_limit(request) or self.default_limit or 25
        self.request = request
        when, pk, backwards = self._decode(raw)
        self.count = self.get_count(queryset)
        # (created_at, id) beyond the position. The bound on created_at alone comes first so that PostgreSQL
        # starts its index scan (commons_interview (created_at DESC, id DESC)) at the position instead of
        # filtering every row before it.
        before = Q(created_at__gte=when) & (Q(created_at__gt=when) | Q(id__gt=pk))
        after = Q(created_at__lte=when) & (Q(created_at__lt=when) | Q(id__lt=pk))
        if backwards:  # the page that ends just before the position, read upwards and turned round
            rows = list(queryset.filter(before).order_by("created_at", "id")[: self.limit + 1])
            self.has_before = len(rows) > self.limit
            page = rows[: self.limit][::-1]
            self.has_after = True
        else:
            rows = list(queryset.filter(after).order_by(*self.ordering)[: self.limit + 1])
            self.has_after = len(rows) > self.limit
            page = rows[: self.limit]
            self.has_before = True
        self.offset = 0  # not meaningful on a cursor page; the links below are cursors
        self.page = page
        return page

    def get_paginated_response(self, data: Any) -> Response:
        return Response({"count": self.count, "next": self._link(after=True), "previous": self._link(after=False),
                         "results": data})

    def _link(self, *, after: bool) -> str | None:
        rows = self.page
        if not rows or not (self.has_after if after else self.has_before):
            return None
        edge = rows[-1] if after else rows[0]
        token = base64.urlsafe_b64encode(json.dumps(
            [edge.created_at.isoformat(), edge.pk, not after]).encode()).decode().rstrip("=")
        assert self.request is not None  # set by paginate_queryset
        url = self.request.build_absolute_uri()
        url = remove_query_param(remove_query_param(url, self.offset_query_param), self.cursor_query_param)
        return replace_query_param(url, self.cursor_query_param, token)

    def _decode(self, raw: str) -> tuple[datetime, int, bool]:
        try:
            when, pk, backwards = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
            moment = datetime.fromisoformat(when)
            if not (isinstance(pk, int) and 0 < pk <= MAX_ID and isinstance(backwards, bool)) or moment.tzinfo is None:
                raise ValueError(raw)
        except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
            raise ValidationError({self.cursor_query_param: [
                "Not a cursor this site made: follow a page's next or previous link."]}) from None
        return moment, pk, backwards

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [*super().get_schema_operation_parameters(view), {
            "name": self.cursor_query_param, "required": False, "in": "query",
            "description": "Where to resume: the cursor in a page's next or previous link (any depth, as fast as "
                           "the first page). Takes precedence over offset.",
            "schema": {"type": "string"}}]
