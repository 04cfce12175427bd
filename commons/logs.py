"""Structured logs: one JSON object per line (LOG_FORMAT=json), each carrying the request it belongs to.

A request gets an id (the proxy's `X-Request-ID` when it is a plausible token, else a fresh one); it is
sent back in the response's `X-Request-ID` and stamped on every log record made while the request runs,
so a line in the proxy's access log, the app's log and an error report can be matched up.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse

_current: ContextVar[tuple[str, str] | None] = ContextVar("commons_request", default=None)
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

# Attributes every LogRecord has; anything else on a record came from `extra=` and is worth keeping.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
_OWN = frozenset({"request_id", "path"})


def request_id_for(request: HttpRequest) -> str:
    offered = request.headers.get("X-Request-ID", "")
    return offered if REQUEST_ID.fullmatch(offered) else uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_for(request)
        request.request_id = request_id  # type: ignore[attr-defined]
        token = _current.set((request_id, request.path))
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response.headers.setdefault("X-Request-ID", request_id)
        return response


class RequestContextFilter(logging.Filter):
    """Adds `request_id` and `path` to every record ("-" outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        current = _current.get()
        request = getattr(record, "request", None)
        if current is None and isinstance(request, HttpRequest):
            # django.request logs 4xx responses after the middleware has returned, passing the request along.
            current = (getattr(request, "request_id", "-"), request.path)
        record.request_id, record.path = current if current else ("-", "-")
        return True


class JsonFormatter(logging.Formatter):
    """time, level, logger, message, request_id, path, simple `extra=` fields and the traceback, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
            "path": getattr(record, "path", "-"),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in _OWN and isinstance(value, (str, int, float, bool, type(None))):
                entry[key] = value
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)
