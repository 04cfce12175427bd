"""Materializing the explorer: per-interview consensus rows, then the unfiltered pages' numbers.

`refresh_aggregates` is what the Celery task runs. It claims the single RefreshState row with a
conditional UPDATE (so two workers never rebuild at once), does nothing when the inputs
fingerprint is unchanged, and writes everything in one transaction, so readers see either the old
numbers or the new ones. Killed mid-way, the transaction rolls back and the claim is freed (see `_claimed`).
"""

from __future__ import annotations

import contextvars
import hashlib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.apps import apps
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from commons import locks
from reviews.explorer import aggregation, conf, rater_values, sources
from reviews.explorer.models import InterviewConsensus, RefreshState, Scope, Snapshot
from commons.models import Interview
from commons.selectors import PUBLISHED

CLAIM_TIMEOUT = timedelta(minutes=40)

# Per-rater values come from `rater_values` (a judge's replicates pooled by `reviews.pooling`).
_CONSENSUS_SQL = """
INSERT INTO {fresh} (interview_id, metric_version_id, scope, value, raters, assessed_by, target_model_id,
                     interviewer_id)
SELECT c.interview_id, c.metric_version_id, c.scope, c.value, c.raters, c.assessed_by, i.target_model_id,
       i.interviewer_id
FROM (
    SELECT interview_id, metric_version_id, %s AS scope, AVG(value) AS value, COUNT(value) AS raters,
           COUNT(*) AS assessed_by
    FROM {rater} GROUP BY interview_id, metric_version_id
    UNION ALL
    SELECT interview_id, metric_version_id, %s, AVG(value), COUNT(value), COUNT(*)
    FROM {rater} WHERE kind = %s GROUP BY interview_id, metric_version_id
    UNION ALL
    SELECT interview_id, metric_version_id, %s, AVG(value), COUNT(value), COUNT(*)
    FROM {rater} WHERE kind = %s GROUP BY interview_id, metric_version_id
) c
JOIN {interview} i ON i.id = c.interview_id
"""
FRESH = "explorer_consensus_fresh"
_SAME_ROW = "n.interview_id = c.interview_id AND n.metric_version_id = c.metric_version_id AND n.scope = c.scope"


def _table(app_label: str, model: str) -> str:
    return connection.ops.quote_name(apps.get_model(app_label, model)._meta.db_table)


def rebuild_consensus() -> int:
    """Bring every consensus row up to date. Call inside a transaction (readers see old rows until commit).

    The new rows are computed into a temporary table and only the differences are written, so a
    refresh after a handful of new reviews rewrites a handful of rows, not millions (no table bloat).
    """
    consensus = connection.ops.quote_name(InterviewConsensus._meta.db_table)
    columns = "interview_id, metric_version_id, scope, value, raters, assessed_by, target_model_id, interviewer_id"
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {FRESH}")
        cursor.execute(f"CREATE TEMPORARY TABLE {FRESH} (interview_id bigint, metric_version_id bigint, "
                       f"scope varchar(6), value double precision, raters integer, assessed_by integer, "
                       f"target_model_id bigint, interviewer_id bigint)")
        rater_values.fill(cursor)
        sql = _CONSENSUS_SQL.format(interview=_table("commons", "Interview"), fresh=FRESH, rater=rater_values.TABLE)
        cursor.execute(sql, [Scope.ALL, Scope.HUMAN, "human", Scope.JUDGE, "judge"])
        rater_values.drop(cursor)
        cursor.execute(f"CREATE INDEX {FRESH}_key ON {FRESH} (interview_id, metric_version_id, scope)")
        if postgres:
            cursor.execute(f"ANALYZE {FRESH}")
        cursor.execute(f"DELETE FROM {consensus} WHERE NOT EXISTS "
                       f"(SELECT 1 FROM {FRESH} n WHERE {_SAME_ROW.replace('c.', consensus + '.')})")
        cursor.execute(
            f"UPDATE {consensus} AS c SET value = n.value, raters = n.raters, assessed_by = n.assessed_by, "
            f"target_model_id = n.target_model_id, interviewer_id = n.interviewer_id FROM {FRESH} n "
            f"WHERE {_SAME_ROW} AND (c.value IS DISTINCT FROM n.value OR c.raters <> n.raters "
            f"OR c.assessed_by <> n.assessed_by OR c.target_model_id <> n.target_model_id "
            f"OR c.interviewer_id IS DISTINCT FROM n.interviewer_id)")
        # Rows already there were updated above; the unique key skips them. (A NOT EXISTS on the table
        # being filled can make PostgreSQL rescan it for every row.)
        if postgres:
            cursor.execute(f"INSERT INTO {consensus} ({columns}) SELECT {columns} FROM {FRESH} "
                           f"ON CONFLICT (metric_version_id, scope, interview_id) DO NOTHING")
        else:
            cursor.execute(f"INSERT OR IGNORE INTO {consensus} ({columns}) SELECT {columns} FROM {FRESH}")
        cursor.execute(f"SELECT COUNT(*) FROM {FRESH}")
        rows = cursor.fetchone()[0]
        cursor.execute(f"DROP TABLE {FRESH}")
        if postgres:
            # Fresh statistics, or the planner may take a rebuilt table for empty and pick nested loops.
            cursor.execute(f"ANALYZE {consensus}")
    return rows


# ---------------------------------------------------------------------------------------------- fingerprints


def digest(*parts: object) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()


_request_memo: contextvars.ContextVar[dict | None] = contextvars.ContextVar("explorer_request_memo", default=None)


@contextmanager
def one_reading() -> Iterator[None]:
    """Within this block (one page or API request) the public fingerprint is computed at most once."""
    token = _request_memo.set({})
    try:
        yield
    finally:
        _request_memo.reset(token)


PUBLIC_KEY = "explorer:public-fingerprint"


def public_fingerprint() -> str:
    """Identifies the set of publicly listed interviews (and which of them are reviewed).

    Counting 100,000 rows costs tens of milliseconds, so the value is cached for a few seconds
    (EXPLORER_PUBLIC_FINGERPRINT_SECONDS, default 5). Saving an interview drops the cached value at
    once and again at commit (signals.py), so a withdrawal through the application is seen by the
    very next page; only a write that bypasses the model (a bulk UPDATE) can go unseen, for at most
    those few seconds.
    """
    memo = _request_memo.get()
    if memo is not None and "public" in memo:
        return memo["public"]
    ttl = conf.public_fingerprint_seconds()
    value = cache.get(PUBLIC_KEY) if ttl > 0 else None
    if value is None:
        value = _public_fingerprint()
        if ttl > 0:
            cache.set(PUBLIC_KEY, value, ttl)
    if memo is not None:
        memo["public"] = value
    return value


def forget_public_fingerprint() -> None:
    cache.delete(PUBLIC_KEY)


def _public_fingerprint() -> str:
    # Which interviews are listed, which are reviewed, and which studies publish their judge scores: each
    # decides whose values a number may count.
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*), SUM(id), SUM((id %% 1000003) * (id %% 1000003)), "
            f"SUM(CASE WHEN status = %s THEN id ELSE 0 END) FROM {_table('commons', 'Interview')} "
            f"WHERE status IN ({', '.join(['%s'] * len(PUBLISHED))}) AND visibility = %s",
            [Interview.Status.REVIEWED, *PUBLISHED, Interview.Visibility.PUBLIC])
        listed = cursor.fetchone()
        cursor.execute(f"SELECT COUNT(*), SUM(id) FROM {_table('commons', 'Study')} WHERE judge_scores_public = %s",
                       [True])
        return digest(*listed, *cursor.fetchone())


def inputs_fingerprint(public: str | None = None) -> str:
    """Changes whenever anything a number depends on changes: public interviews, current reviews, metrics."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*), SUM(id) FROM {_table('reviews', 'ReviewRevision')} WHERE is_current = %s",
                       [True])
        revisions = cursor.fetchone()
        cursor.execute(f"SELECT COUNT(*), MAX(id) FROM {_table('reviews', 'MetricVersion')}")
        versions = cursor.fetchone()
    return digest(aggregation.PAYLOAD_VERSION, public or public_fingerprint(), *revisions, *versions,
                   agreement_fingerprint())


def agreement_fingerprint() -> str:
    from reviews.explorer import agreement

    return agreement.fingerprint()


# ---------------------------------------------------------------------------------------------- snapshots


def snapshot_key(page: str, scope: str) -> str:
    return f"v{aggregation.PAYLOAD_VERSION}:{page}:{scope}"


def snapshot_payloads() -> dict[str, dict]:
    """Every unfiltered page's numbers, for each reviewer kind."""
    payloads: dict[str, dict] = {}
    for scope in Scope.values:
        source = sources.MaterializedSource(scope, sources.public_interviews())
        overview = aggregation.overview_payload(source)
        payloads[snapshot_key("overview", scope)] = overview
        payloads[snapshot_key("coverage", scope)] = aggregation.coverage_payload(source)
        versions = aggregation.metric_versions(overview["metric_versions"] + overview["nominal_versions"])
        for version in versions.values():
            payloads[snapshot_key(f"metric:{version.pk}", scope)] = aggregation.metric_payload(source, version)
    return payloads


REFRESH_LOCK = "explorer-refresh"


@contextmanager
def _claimed(now) -> Iterator[bool]:
    """Hold the single refresh claim while the body runs; yield False if another refresh holds it.

    PostgreSQL: an advisory lock, freed the moment a killed worker's connection closes, so the
    redelivered task goes ahead at once. Elsewhere: a timestamp claim that goes stale after
    CLAIM_TIMEOUT. `running_since` is set either way, to show that a refresh is running.
    """
    RefreshState.objects.get_or_create(pk=1)
    if locks.has_advisory_locks():
        with locks.advisory_lock(REFRESH_LOCK) as acquired:
            if acquired:
                RefreshState.objects.filter(pk=1).update(running_since=now)
            try:
                yield acquired
            finally:
                if acquired:
                    RefreshState.objects.filter(pk=1).update(running_since=None)
        return
    stale = now - CLAIM_TIMEOUT
    acquired = bool(RefreshState.objects.filter(pk=1)
                    .filter(Q(running_since__isnull=True) | Q(running_since__lt=stale)).update(running_since=now))
    try:
        yield acquired
    finally:
        if acquired:
            RefreshState.objects.filter(pk=1, running_since=now).update(running_since=None)


class Outcome:
    BUSY = "busy"  # another refresh holds the claim
    UNCHANGED = "unchanged"
    DONE = "done"


def refresh_aggregates(*, force: bool = False) -> str:
    """Rebuild consensus rows and snapshots if their inputs changed (or `force`)."""
    now = timezone.now()
    with _claimed(now) as claimed:
        if not claimed:
            return Outcome.BUSY
        started = time.perf_counter()
        public = public_fingerprint()
        inputs = inputs_fingerprint(public)
        state = RefreshState.objects.get(pk=1)
        if not force and state.inputs_fingerprint == inputs and Snapshot.objects.exists():
            return Outcome.UNCHANGED
        with transaction.atomic():
            rows = rebuild_consensus()
            previous = Snapshot.objects.values_list("payload", flat=True).iterator(chunk_size=50)
            with aggregation.reusing(previous):
                payloads = snapshot_payloads()
            Snapshot.objects.exclude(key__in=payloads).delete()
            computed_at = timezone.now()
            Snapshot.objects.filter(key__in=payloads).delete()
            Snapshot.objects.bulk_create([
                Snapshot(key=key, payload=payload, public_fingerprint=public, inputs_fingerprint=inputs,
                         computed_at=computed_at) for key, payload in payloads.items()])
            RefreshState.objects.filter(pk=1).update(
                inputs_fingerprint=inputs, public_fingerprint=public, started_at=now, finished_at=computed_at,
                duration_seconds=time.perf_counter() - started, consensus_rows=rows)
        return Outcome.DONE


def is_current() -> bool:
    """Whether the materialized numbers were computed from today's inputs."""
    state = RefreshState.objects.filter(pk=1).first()
    return bool(state and state.inputs_fingerprint == inputs_fingerprint())
