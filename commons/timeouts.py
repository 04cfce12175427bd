"""A time limit on one request's database reads, so one expensive question cannot stall everyone.

The explorer answers arbitrary filter combinations; a few of them are slow to compute. Gunicorn's
threads and the database's connections are shared by every visitor, so a read that runs for minutes
holds a thread and a PostgreSQL backend that others are waiting for. `statement_timeout` bounds each
statement of the block (PostgreSQL's own `statement_timeout`, `SET LOCAL`, so it ends with the block's
transaction and never leaks to the next request on a kept connection); when it trips the block raises
`ReadTimedOut`, which the 503 middleware (commons/unavailable.py) turns into a clear page or JSON.
On SQLite (the embedded default, one user) there is no limit.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import OperationalError, connection, transaction

TIMED_OUT_MESSAGE = ("This view took too long to compute and was stopped, so that other visitors are not kept "
                     "waiting. Try fewer or narrower filters, or again in a few minutes.")


class ReadTimedOut(Exception):
    message = TIMED_OUT_MESSAGE


def _cancelled(error: BaseException) -> bool:
    try:
        from psycopg.errors import QueryCanceled
    except ImportError:  # pragma: no cover - psycopg is installed wherever PostgreSQL is used
        return False
    return isinstance(error.__cause__, QueryCanceled)


@contextmanager
def statement_timeout(milliseconds: int) -> Iterator[None]:
    """Every statement inside the block may run at most `milliseconds` (0 or less: no limit)."""
    if milliseconds <= 0 or connection.vendor != "postgresql":
        yield
        return
    try:
        # Its own transaction (a savepoint inside ATOMIC_REQUESTS): SET LOCAL is undone when it ends.
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL statement_timeout = {int(milliseconds)}")
            yield
    except OperationalError as error:
        if _cancelled(error):
            raise ReadTimedOut() from error
        raise
