"""Reading the app's tunables: a Django setting wins (tests and deployments override it), then the
environment variable of the same name, then the default. Read at call time, never cached."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings


def setting(name: str, default: Any) -> Any:
    value = getattr(settings, name, None)
    if value is None:
        raw = os.environ.get(name, "").strip()
        value = raw if raw else default
    return value
