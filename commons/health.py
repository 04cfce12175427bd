"""Health endpoints for the proxy, the orchestrator and the operator.

`/healthz` — liveness: the process is up and answering; touches nothing else (no database).
`/readyz` — readiness: the database and the Celery broker (and the Redis cache, when configured)
answer within a couple of seconds; 200 when all do, otherwise 503 naming what failed.

Both are answered by a middleware placed first, before host validation, the https redirect, sessions
and authentication, so a container healthcheck on `http://127.0.0.1:8000/healthz` works whatever
ALLOWED_HOSTS and SECURE_SSL_REDIRECT say. The answers name the failing component and the exception's
class only; details go to the log, not to the public.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.core.cache import caches
from django.db import connections
from django.http import HttpRequest, HttpResponse, JsonResponse

logger = logging.getLogger(__name__)
PROBE_TIMEOUT_SECONDS = 2.0
OK = "ok"


def check_database() -> str:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return OK


def check_broker() -> str:
    if not settings.CELERY_BROKER_URL:
        return "not configured (tasks run in-process)"
    from kombu import Connection

    with Connection(settings.CELERY_BROKER_URL, connect_timeout=PROBE_TIMEOUT_SECONDS,
                    transport_options={"socket_timeout": PROBE_TIMEOUT_SECONDS}) as connection:
        connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0,
                                     timeout=PROBE_TIMEOUT_SECONDS)
    return OK


def check_cache() -> str:
    cache = caches["default"]
    if "redis" not in type(cache).__module__:
        return "local memory"
    cache.get("readyz-probe")
    return OK


CHECKS: dict[str, Callable[[], str]] = {"database": check_database, "broker": check_broker, "cache": check_cache}


def readiness() -> tuple[bool, dict[str, str]]:
    results, ready = {}, True
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception as exc:  # noqa: BLE001 - any failure of a dependency means "not ready", never a 500
            logger.warning("readiness check %s failed: %s: %s", name, type(exc).__name__, exc)
            results[name] = f"unavailable ({type(exc).__name__})"
            ready = False
    return ready, results


def healthz() -> JsonResponse:
    return JsonResponse({"status": "ok"})


def readyz() -> JsonResponse:
    ready, results = readiness()
    failed = [name for name, result in results.items() if result.startswith("unavailable")]
    body = {"status": "ready" if ready else "unavailable", "checks": results, "failed": failed}
    return JsonResponse(body, status=200 if ready else 503)


ENDPOINTS: dict[str, Callable[[], JsonResponse]] = {"/healthz": healthz, "/readyz": readyz}


class HealthCheckMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        endpoint = ENDPOINTS.get(request.path_info.rstrip("/"))
        if endpoint is None:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            response = JsonResponse({"detail": "Use GET or HEAD."}, status=405)
            response["Allow"] = "GET, HEAD"
        else:
            response = endpoint()
        response["Cache-Control"] = "no-store"
        return response
