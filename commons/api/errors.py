from __future__ import annotations

import math

from django.core.exceptions import PermissionDenied
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from commons.params import BadParameter
from commons.services import DuplicateInterview, ServiceError


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's handler, plus domain errors as 400 (409 for duplicates) naming the field, and Django's
    PermissionDenied (raised by selectors) as 403 with its message kept."""
    if isinstance(exc, DuplicateInterview):
        return Response({exc.field: [exc.message]}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, (ServiceError, BadParameter)):
        return Response({exc.field: [exc.message]}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, PermissionDenied) and str(exc):
        exc = exceptions.PermissionDenied(str(exc))
    if isinstance(exc, exceptions.Throttled):
        return _too_many_requests(exc)
    return drf_exception_handler(exc, context)


def _too_many_requests(exc: exceptions.Throttled) -> Response:
    """429 saying what was limited and when to come back, with Retry-After (DRF's own wording names no cause)."""
    asked: float | None = getattr(exc, "wait", None)  # set by Throttled.__init__; the stubs miss it
    wait = max(1, math.ceil(asked)) if asked is not None else 60
    reason = getattr(exc, "reason", "") or "Too many requests: this API's rate limit was reached."
    return Response({"detail": f"{reason} Try again in {wait} seconds."}, status=status.HTTP_429_TOO_MANY_REQUESTS,
                    headers={"Retry-After": str(wait)})
