"""Review settings with their defaults; read at call time so tests and deployments can override them.

REVIEW_CLAIM_MINUTES   how long a claim from the queue holds an interview (default 30; env REVIEW_CLAIM_MINUTES)
REVIEW_TARGET_DEFAULT  independent human reviews per interview outside a configured study (default 3)
"""

from __future__ import annotations

import os
from datetime import timedelta

from django.conf import settings


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


def claim_duration() -> timedelta:
    minutes = getattr(settings, "REVIEW_CLAIM_MINUTES", None)
    if minutes is None:
        minutes = _env_int("REVIEW_CLAIM_MINUTES", 30)
    return timedelta(minutes=minutes)


def default_target_reviews() -> int:
    target = getattr(settings, "REVIEW_TARGET_DEFAULT", None)
    if target is None:
        target = _env_int("REVIEW_TARGET_DEFAULT", 3)
    return max(1, int(target))
