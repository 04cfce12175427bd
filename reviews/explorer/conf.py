"""Explorer settings with their defaults, read at call time (a Django setting wins over the environment).

EXPLORER_MIN_INTERVIEWS   a cell with fewer interviews is marked "few interviews" (default 10)
EXPLORER_MIN_ALPHA        a cell whose slice has a lower Krippendorff's alpha is marked "low agreement"
                          (default 0.667, Krippendorff's lowest bound for tentative conclusions)
EXPLORER_BOOTSTRAP        bootstrap replicates for the interval of a mean (default 1000)
EXPLORER_PUBLIC_FINGERPRINT_SECONDS  how long the identity of the public interview set is cached (default 5;
                          saves through the application drop it at once, see materialize.public_fingerprint)
EXPLORER_STATEMENT_TIMEOUT_MS  the most one database statement of an explorer page or API read may take on
                          PostgreSQL before the request answers 503 (default 10000; 0 = no limit)
EXPLORER_RELEASES_DIR     where release files are written, relative to MEDIA_ROOT (default "releases")
"""

from __future__ import annotations

from commons.conf import setting


def min_interviews() -> int:
    return int(setting("EXPLORER_MIN_INTERVIEWS", 10))


def min_alpha() -> float:
    return float(setting("EXPLORER_MIN_ALPHA", 0.667))


def bootstrap_replicates() -> int:
    return int(setting("EXPLORER_BOOTSTRAP", 1000))


def releases_dir() -> str:
    return str(setting("EXPLORER_RELEASES_DIR", "releases"))


def public_fingerprint_seconds() -> int:
    return int(setting("EXPLORER_PUBLIC_FINGERPRINT_SECONDS", 5))


def statement_timeout_ms() -> int:
    return int(setting("EXPLORER_STATEMENT_TIMEOUT_MS", 10000))
