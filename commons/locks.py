"""Exclusive locks for background jobs that must not run twice at once.

On PostgreSQL a job holds a session-level advisory lock: if its worker is killed, the database
connection closes and the lock goes with it, so the redelivered task (acks_late) can start at once
instead of waiting for a timestamp claim to go stale. Other databases (SQLite in the embedded
default, where tasks run in-process) have no such lock; callers keep a timestamp claim there.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection


def has_advisory_locks() -> bool:
    return connection.vendor == "postgresql"


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for `name` (PostgreSQL advisory locks take a bigint)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextmanager
def advisory_lock(name: str) -> Iterator[bool]:
    """Try to take the lock `name` without waiting; yield whether we hold it; release it on exit."""
    key = lock_key(name)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        acquired = bool(cursor.fetchone()[0])
    try:
        yield acquired
    finally:
        if acquired and connection.connection is not None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


def is_held(name: str) -> bool:
    """Whether any session holds the advisory lock `name` (PostgreSQL). Looks, never takes it, so a
    job starting at this moment is not turned away."""
    unsigned = lock_key(name) & 0xFFFFFFFFFFFFFFFF
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            " AND classid = %s::bigint::oid AND objid = %s::bigint::oid)",
            [unsigned >> 32, unsigned & 0xFFFFFFFF])
        return bool(cursor.fetchone()[0])


@contextmanager
def job_lock(name: str) -> Iterator[bool]:
    """`advisory_lock` where the database has them; elsewhere (SQLite, tasks in-process) always yields True."""
    if not has_advisory_locks():
        yield True
        return
    with advisory_lock(name) as acquired:
        yield acquired
