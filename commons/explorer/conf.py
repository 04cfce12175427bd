"""Explorer settings with their defaults, read at call time (a Django setting wins over the environment).

EXPLORER_MIN_INTERVIEWS   a cell with fewer interviews is marked "few interviews" (default 10)
EXPLORER_MIN_ALPHA        a cell whose slice has a lower Krippendorff's alpha is marked "low agreement"
                          (default 0.667, Krippendorff's lowest bound for tentative conclusions)
EXPLORER_BOOTSTRAP        bootstrap replicates for the interval of a mean (default 1000)
EXPLORER_PUBLIC_FINGERPRINT_SECONDS  how long the identity of the public interview set is cached (default 5;
                          saves through the application drop it at once, see materialize.public_fingerprint)
EXPLORER_RELEASES_DIR     where release files are written, relative to MEDIA_ROOT (default "releases")
"""

from __future__ import annotations

import os

from django.conf import settings


def _setting(name: str, default):
    value = getattr(settings, name, None)
    if value is None:
        raw = os.environ.get(name, "").strip()
        value = raw if raw else default
    return value


def min_interviews() -> int:
    return int(_setting("EXPLORER_MIN_INTERVIEWS", 10))


def min_alpha() -> float:
    return float(_setting("EXPLORER_MIN_ALPHA", 0.667))


def bootstrap_replicates() -> int:
    return int(_setting("EXPLORER_BOOTSTRAP", 1000))


def releases_dir() -> str:
    return str(_setting("EXPLORER_RELEASES_DIR", "releases"))


def public_fingerprint_seconds() -> int:
    return int(_setting("EXPLORER_PUBLIC_FINGERPRINT_SECONDS", 5))
