from __future__ import annotations

from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from commons.params import BadParameter
from commons.services import DuplicateInterview, ServiceError


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's handler, plus domain errors as 400 (409 for duplicates) naming the field."""
    if isinstance(exc, DuplicateInterview):
        return Response({exc.field: [exc.message]}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, (ServiceError, BadParameter)):
        return Response({exc.field: [exc.message]}, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)
