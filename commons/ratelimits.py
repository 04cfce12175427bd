"""Who is calling, and how often: the client address behind the proxies we trust, and the rate limits.

`client_ip` is the one answer to "which address is this request from" for every limiter: the DRF
throttles below (API tokens, invalid tokens, anonymous API use), the HTML upload/import and admin-login
limits, and allauth's own login limits (commons.accounts.AccountAdapter). A raw X-Forwarded-For is never
believed: anyone can send one. With TRUSTED_PROXY_COUNT=N (N proxies we run, each appending the address it
saw), the client is the Nth address from the right; with 0, REMOTE_ADDR.

The limits count in the cache. With REDIS_URL set that is commons.cache.ResilientRedisCache, which answers
"nothing stored" while Redis is down: every limit then fails open (requests are let through, none is
counted) until Redis is back — a documented choice: an outage must not lock everyone out.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from rest_framework import permissions
from rest_framework.throttling import SimpleRateThrottle

UNKNOWN_CLIENT = "unknown"


def _valid_ip(value: str) -> str | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [v6]:port
        value = value[1:value.index("]")]
    elif value.count(":") == 1:  # v4:port
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request: Any) -> str:
    """The caller's address: the TRUSTED_PROXY_COUNT-th X-Forwarded-For entry from the right, else REMOTE_ADDR.

    Entries left of the ones our proxies appended are whatever the client chose to send, so they are never
    read. A header shorter than the proxy count (a request that skipped the outer proxy) gives its left-most
    entry, which one of our proxies wrote."""
    meta = getattr(request, "META", {})
    count = settings.TRUSTED_PROXY_COUNT
    if count > 0:
        forwarded = [part for part in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if forwarded:
            found = _valid_ip(forwarded[-count] if len(forwarded) >= count else forwarded[0])
            if found:
                return found
    return _valid_ip(meta.get("REMOTE_ADDR", "")) or UNKNOWN_CLIENT


# --- the limits ------------------------------------------------------------------------------------


class Throttle(SimpleRateThrottle):
    """DRF's sliding-window throttle with the rate read from settings.RATE_LIMITS at call time (so tests and
    deployments can change it) and the client address from `client_ip`. A scope whose rate is empty is off."""

    def get_rate(self) -> str | None:
        return settings.RATE_LIMITS.get(self.scope or "") or None

    def get_ident(self, request: Any) -> str:
        return client_ip(request)

    def key_for(self, ident: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": ident}


def _token(request: Any) -> Any:
    from commons.models import ApiToken

    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, ApiToken) else None


class AnonymousThrottle(Throttle):
    """Anonymous API use, per client address."""

    scope = "anon"

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        if request.user and request.user.is_authenticated:
            return None
        return self.key_for(self.get_ident(request))


class TokenThrottle(Throttle):
    """Calls made with a personal API token, per token (a leaked token is slowed whoever holds it)."""

    scope = "token"

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        token = _token(request)
        return self.key_for(token.pk) if token is not None else None


class SessionUserThrottle(Throttle):
    """Signed-in browser use of the API (session cookie), per user."""

    scope = "user"

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        if not (request.user and request.user.is_authenticated) or _token(request) is not None:
            return None
        return self.key_for(request.user.pk)


class _PerUserWrite(Throttle):
    def get_cache_key(self, request: Any, view: Any) -> str | None:
        if request.method in permissions.SAFE_METHODS or not (request.user and request.user.is_authenticated):
            return None
        return self.key_for(request.user.pk)


class UploadThrottle(_PerUserWrite):
    """Single transcript uploads (web form and API), per user."""

    scope = "upload"


class ImportThrottle(_PerUserWrite):
    """Bulk imports (web form and API), per user."""

    scope = "import"


class AdminLoginThrottle(Throttle):
    """Sign-in attempts on /admin/login/, per client address."""

    scope = "admin_login"

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        return self.key_for(self.get_ident(request)) if request.method == "POST" else None


class InvalidTokenThrottle(Throttle):
    """Failed token look-ups, per client address: counts failures only, so a guesser is stopped while the
    same address's good tokens go on working until it has failed RATE_LIMITS["invalid_token"] times."""

    scope = "invalid_token"
    duration: int  # set by SimpleRateThrottle.__init__ from the rate (the stubs do not declare them)
    num_requests: int

    def blocked(self, request: Any) -> bool:
        if self.rate is None:
            return False
        self.key = self.key_for(self.get_ident(request))
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        return len(self.history) >= self.num_requests

    def record_failure(self) -> None:
        if self.rate is not None:
            self.throttle_success()


def wait_seconds(throttle: SimpleRateThrottle) -> int:
    """Whole seconds until the throttle admits another request (at least 1, for Retry-After)."""
    wait = throttle.wait()
    return max(1, int(wait + 0.999)) if wait is not None else 1


def too_many_requests(request: HttpRequest, wait: int, what: str) -> HttpResponse:
    """The styled 429 page for HTML requests."""
    response = render(request, "429.html", {"wait": wait, "what": what}, status=429)
    response["Retry-After"] = str(wait)
    return response


def rate_limited(throttle_class: type[Throttle], what: str) -> Callable:
    """Applies a throttle to a plain Django view; over the limit the view is not run and a 429 page says
    what was limited and when to try again."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            throttle = throttle_class()
            # DRF's throttles read only META and the user, which a Django request has as well.
            if not throttle.allow_request(request, None):  # type: ignore[arg-type]
                return too_many_requests(request, wait_seconds(throttle), what)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
