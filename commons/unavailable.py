"""A service the request needed is down: answer 503 with a page (or JSON under /api/) that says
so, never a bare 500.

Raised by a view: ReadTimedOut (a read ran past its statement timeout, commons/timeouts.py),
QueueUnavailable (the broker did not take a task someone waits for; the job was marked failed, see
commons/broker.py), a broker or Redis connection error nothing else caught, or a database that went
away mid-request (its transaction was rolled back, so nothing half-saved).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import kombu.exceptions
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from commons.broker import QueueUnavailable
from commons.timeouts import ReadTimedOut

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 60
BROKER_DOWN = (kombu.exceptions.OperationalError, RedisConnectionError, RedisTimeoutError)
DATABASE_DOWN = (OperationalError, InterfaceError)
QUEUE_MESSAGE = "The background queue is unavailable right now. Nothing was saved half-way: try again in a few minutes."
DATABASE_MESSAGE = ("The database is unavailable right now. Nothing was saved half-way: "
                    "try again in a few minutes.")


def message_for(exception: BaseException) -> str | None:
    if isinstance(exception, (QueueUnavailable, ReadTimedOut)):
        return exception.message
    if isinstance(exception, BROKER_DOWN):
        return QUEUE_MESSAGE
    if isinstance(exception, DATABASE_DOWN):
        return DATABASE_MESSAGE
    return None


def unavailable_response(request: HttpRequest, message: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"detail": message}, status=503)
    else:
        html = render_to_string("503.html", {"message": message, "SITE_NAME": settings.SITE_NAME})
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class ServiceUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        message = message_for(exception)
        if message is None:
            return None
        logger.error("503 for %s %s: %r", request.method, request.path, exception)
        return unavailable_response(request, message)
