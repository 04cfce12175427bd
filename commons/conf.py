"""Reading the app's tunables: a Django setting wins (tests and deployments override it), then the
environment variable of the same name, then the default. Read at call time, never cached.

An environment value is converted to the default's type; one that does not convert stops with a
message naming the variable (a typo must not silently fall back to something else)."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _convert(name: str, raw: str, default: Any) -> Any:
    if isinstance(default, bool) or isinstance(default, str) or default is None:
        return raw
    kind = int if isinstance(default, int) else float
    try:
        return kind(raw)
    except ValueError:
        noun = "a whole number" if kind is int else "a number"
        raise ImproperlyConfigured(f"{name}={raw!r} is not {noun}.") from None


def setting(name: str, default: Any) -> Any:
    value = getattr(settings, name, None)
    if value is None:
        raw = os.environ.get(name, "").strip()
        value = _convert(name, raw, default) if raw else default
    return value
