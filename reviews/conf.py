"""Review settings with their defaults; read at call time so tests and deployments can override them.

REVIEW_CLAIM_MINUTES   how long a claim from the queue holds an interview (default 30; env REVIEW_CLAIM_MINUTES)
REVIEW_TARGET_DEFAULT  independent human reviews per interview outside a configured study (default 3)
"""

from __future__ import annotations

from datetime import timedelta

from commons.conf import setting


def claim_duration() -> timedelta:
    return timedelta(minutes=int(setting("REVIEW_CLAIM_MINUTES", 30)))


def default_target_reviews() -> int:
    return max(1, int(setting("REVIEW_TARGET_DEFAULT", 3)))
