"""Agreement settings with their defaults, read at call time (a Django setting wins over the environment).

RELIABILITY_BOOTSTRAP_REPLICATES  bootstrap replicates per confidence interval (default 1000)
RELIABILITY_CONFIDENCE            confidence level of the interval (default 0.95)
RELIABILITY_FLAG_THRESHOLD        flag a unit whose disagreement, relative to chance, exceeds this
                                  (default 1.0: reviewers disagree on it more than random pairs would)
RELIABILITY_DEBOUNCE_SECONDS      wait this long before recomputing, so a burst of reviews is one run (default 10)
RELIABILITY_PENDING_STALE_SECONDS a queued recompute not started after this long is presumed lost (default 3600)
RELIABILITY_MAX_PAIRWISE_RATERS   pairwise matrices are stored for slices with at most this many raters (default 60)
RELIABILITY_TASK_SOFT_TIME_LIMIT / RELIABILITY_TASK_TIME_LIMIT  per recompute task (default 900 / 960 s)
RELIABILITY_TEST_DELAY_SECONDS    pause between computing and writing; only the worker fault test sets it (default 0)
"""

from __future__ import annotations

from commons.conf import setting


def _setting(name: str, default: float) -> float:
    return float(setting(name, default))


def bootstrap_replicates() -> int:
    return max(0, int(_setting("RELIABILITY_BOOTSTRAP_REPLICATES", 1000)))


def confidence() -> float:
    return _setting("RELIABILITY_CONFIDENCE", 0.95)


def flag_threshold() -> float:
    return _setting("RELIABILITY_FLAG_THRESHOLD", 1.0)


def debounce_seconds() -> float:
    return max(0.0, _setting("RELIABILITY_DEBOUNCE_SECONDS", 10))


def pending_stale_seconds() -> float:
    return _setting("RELIABILITY_PENDING_STALE_SECONDS", 3600)


def max_pairwise_raters() -> int:
    return int(_setting("RELIABILITY_MAX_PAIRWISE_RATERS", 60))


def task_soft_time_limit() -> int:
    return int(_setting("RELIABILITY_TASK_SOFT_TIME_LIMIT", 900))


def task_time_limit() -> int:
    return int(_setting("RELIABILITY_TASK_TIME_LIMIT", 960))


def test_delay_seconds() -> float:
    return _setting("RELIABILITY_TEST_DELAY_SECONDS", 0)
