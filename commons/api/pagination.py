"""The API's one paginator: `limit` and `offset` are checked, never passed to the database as they come.

DRF's LimitOffsetPagination has no upper bound on `limit` and none on `offset`, so
`limit=9223372036854775808` overflowed the database's LIMIT (a 500 on every list). Here a `limit`
above MAX_LIMIT is served as MAX_LIMIT (DRF's `max_limit` behaviour); anything that is not a
whole number in range is a 400 naming the parameter.
"""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request

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
