"""A Redis cache that degrades to no cache while Redis is unreachable.

Nothing in this site keeps anything in the cache that it cannot recompute, so a Redis outage must
cost speed, not pages: while Redis does not answer, every read is a miss, every write is dropped
and `add` reports success, exactly as Django's DummyCache does (so a debounce built on `add` errs
towards doing the work again, never towards skipping it). Rate limits read their counters from the
cache too, so they *fail open* during an outage: the README says why.

After a failure the cache stays off for RETRY_SECONDS before it tries Redis again, so a page that
makes twenty cache calls does not wait for twenty connection timeouts, and the log gets one line per
outage window (every RETRY_SECONDS while it lasts), not one per call.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)
RETRY_SECONDS = 5.0
CONNECTION_DEFAULTS = {"socket_connect_timeout": 1.0, "socket_timeout": 1.0}

T = TypeVar("T")

# Django makes one cache object per thread; an outage is a fact about the server, shared by all of them.
_down_until: dict[str, float] = {}
_lock = threading.Lock()


class ResilientRedisCache(RedisCache):
    """Django's RedisCache; connection errors and timeouts become cache misses, with one log line."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        params = {**params, "OPTIONS": {**CONNECTION_DEFAULTS, **params.get("OPTIONS", {})}}
        super().__init__(server, params)
        self._location = ",".join(self._servers)  # type: ignore[attr-defined]  # set by RedisCache; not in the stub

    @property
    def is_down(self) -> bool:
        return time.monotonic() < _down_until.get(self._location, 0.0)

    def _guard(self, call: Callable[[], T], fallback: T) -> T:
        if self.is_down:
            return fallback
        try:
            return call()
        except UNREACHABLE as exc:
            with _lock:
                first = not self.is_down
                _down_until[self._location] = time.monotonic() + RETRY_SECONDS
            if first:
                logger.warning("cache unreachable, serving without it for %.0f s: %s", RETRY_SECONDS, exc)
            return fallback

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return self._guard(lambda: super(ResilientRedisCache, self).get(key, default, version), default)

    def set(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> None:
        self._guard(lambda: super(ResilientRedisCache, self).set(key, value, timeout, version), None)

    def add(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return self._guard(lambda: super(ResilientRedisCache, self).add(key, value, timeout, version), True)

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return self._guard(lambda: super(ResilientRedisCache, self).touch(key, timeout, version), False)

    def delete(self, key: Any, version: int | None = None) -> bool:
        return self._guard(lambda: super(ResilientRedisCache, self).delete(key, version), False)

    def get_many(self, keys: Any, version: int | None = None) -> dict[Any, Any]:
        return self._guard(lambda: super(ResilientRedisCache, self).get_many(keys, version), {})

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return self._guard(lambda: super(ResilientRedisCache, self).has_key(key, version), False)

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        # Django's contract: incr of a missing key raises ValueError; an unreachable cache has no keys.
        result = self._guard(lambda: super(ResilientRedisCache, self).incr(key, delta, version), None)
        if result is None:
            raise ValueError(f"Key '{key}' not found (the cache is unreachable).")
        return result

    def set_many(self, data: dict[Any, Any], timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> list[Any]:
        return self._guard(lambda: super(ResilientRedisCache, self).set_many(data, timeout, version), [])

    def delete_many(self, keys: Any, version: int | None = None) -> None:
        self._guard(lambda: super(ResilientRedisCache, self).delete_many(keys, version), None)

    # RedisCache.clear returns flushdb's bool; the stub types it as BaseCache.clear's None.
    def clear(self) -> bool:  # type: ignore[override]
        return self._guard(lambda: bool(super(ResilientRedisCache, self).clear()), False)
