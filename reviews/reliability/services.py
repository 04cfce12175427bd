"""Writes for agreement: scheduling recomputes after commit, and recomputing one metric version.

Who counts as a rater in which slice is documented in `reviews.reliability.slicing`.

Scheduling
----------
`schedule_recompute(ids)` is called inside the transaction that changed scores (a submitted or
revised review, a withdrawn interview, an interview whose reviews became public). It bumps the
metric versions' `RecomputeRequest.requests` in that transaction, so the request is as durable as
the change, and after commit enqueues one task per metric version — unless one is already queued
(a conditional UPDATE of `enqueued_at` decides, so a burst of reviews enqueues one task). Tasks
start `RELIABILITY_DEBOUNCE_SECONDS` later, coalescing the rest of the burst.

Running
-------
`recompute_metric_version` takes a ticket (`runs`) in a short transaction, clears `enqueued_at`
(any later request enqueues a fresh task), reads and computes without holding locks, then writes
in one transaction holding the metric version's row (FOR NO KEY UPDATE, so score inserts never
wait on it): a result whose inputs fingerprint is unchanged is
left alone, and nothing at all is written if a later run already wrote. So a run is idempotent: a
task redelivered after its worker died recomputes the same fingerprints and writes each result
once; a run that found nothing changed writes nothing (and records no audit event).
"""

from __future__ import annotations

import contextvars
import json
import logging
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from commons import broker
from commons.models import Interview, Study
from commons.services import record_audit
from reviews import derived_values
from reviews.models import MetricVersion, Review, Score
from reviews.agreement import AlphaResult
from reviews.agreement.blas import one_blas_thread
from reviews.reliability import conf, discussion, selectors
from reviews.reliability.models import AgreementResult, Audience, RecomputeRequest, UnitDisagreement
from reviews.reliability.slicing import (
    Q_THRESHOLDS,
    HeadlineMemo,
    Params,
    SliceInput,
    SliceStatistics,
    build_slices,
    fingerprint,
    slice_statistics,
    unit_rows,
)

logger = logging.getLogger(__name__)

PostDiscussionAlpha = tuple[AlphaResult, int]  # newest revisions' alpha, values revised after unblinding

AUDIT_VERB = "agreement.recomputed"

_deferred: contextvars.ContextVar[set[int] | None] = contextvars.ContextVar("reliability_deferred", default=None)


# --- scheduling ---------------------------------------------------------------------------


class _EnqueueAfterCommit:
    """One on_commit callback per transaction, collecting every metric version scheduled in it."""

    def __init__(self) -> None:
        self.ids: set[int] = set()
        self.fired = False

    def __call__(self) -> None:
        self.fired = True
        enqueue_pending(self.ids)


def schedule_recompute(metric_version_ids: Iterable[int], *, using: str | None = None) -> None:
    """Recompute these metric versions' agreement after the current transaction commits.

    Call it in the transaction that changed their scores. Inside `deferred_recompute()` the ids are
    only collected, and scheduled once when the block ends.
    """
    ids = {int(i) for i in metric_version_ids}
    if not ids:
        return
    ids |= derived_values.dependents(ids)  # a derived version changes with its inputs' scores
    collecting = _deferred.get()
    if collecting is not None:
        collecting.update(ids)
        return
    with transaction.atomic(using=using):
        existing = set(MetricVersion.objects.filter(pk__in=ids).values_list("pk", flat=True))
        RecomputeRequest.objects.bulk_create([RecomputeRequest(metric_version_id=i) for i in sorted(existing)],
                                             ignore_conflicts=True)
        RecomputeRequest.objects.filter(pk__in=existing).update(requests=F("requests") + 1)
    connection = transaction.get_connection(using)
    for _, callback, *_ in connection.run_on_commit:
        if isinstance(callback, _EnqueueAfterCommit) and not callback.fired:
            callback.ids.update(existing)
            return
    callback = _EnqueueAfterCommit()
    callback.ids.update(existing)
    transaction.on_commit(callback, using=using)


@contextmanager
def deferred_recompute() -> Iterator[None]:
    """Collect every `schedule_recompute` inside the block and schedule them once at its end (bulk imports)."""
    if _deferred.get() is not None:
        yield
        return
    collected: set[int] = set()
    token = _deferred.set(collected)
    try:
        yield
    finally:
        _deferred.reset(token)
    schedule_recompute(collected)


def schedule_recompute_for_review(review: Review) -> None:
    """After a review (or a revision of it) is submitted: every metric version any of its submitted revisions
    scored (a metric dropped in a revision changes too), and every metric version scored on its interview
    (the submission may have made the interview "reviewed", which changes the public numbers)."""
    ids = set(Score.objects.filter(revision__review=review, revision__is_draft=False)
              .values_list("metric_version_id", flat=True).distinct())
    ids.update(Score.objects.filter(revision__review__interview_id=review.interview_id, revision__is_current=True)
               .values_list("metric_version_id", flat=True).distinct())
    schedule_recompute(ids)


def schedule_recompute_for_interview(interview: Interview) -> None:
    """After an interview is withdrawn or its reviews become public: every metric version scored on it."""
    schedule_recompute(Score.objects.filter(revision__review__interview=interview, revision__is_current=True)
                       .values_list("metric_version_id", flat=True).distinct())


def schedule_recompute_for_study(study: Study) -> None:
    """After a study's judge scores become public (or blind again): every metric version scored in it."""
    schedule_recompute(Score.objects.filter(revision__review__interview__study=study, revision__is_current=True)
                       .values_list("metric_version_id", flat=True).distinct())


def enqueue_pending(metric_version_ids: Iterable[int]) -> list[int]:
    """Enqueue a recompute task for each metric version that has none queued; returns those enqueued."""
    from reviews.reliability import tasks

    now = timezone.now()
    stale = now - timedelta(seconds=conf.pending_stale_seconds())
    countdown = conf.debounce_seconds()
    enqueued = []
    for pk in sorted(set(metric_version_ids)):
        won = (RecomputeRequest.objects.filter(pk=pk)
               .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=stale))
               .update(enqueued_at=now))
        if not won:
            continue
        try:
            broker.send(tasks.recompute_metric_agreement, pk, countdown=countdown or None)
        except Exception:  # noqa: BLE001 - broker down: the request stays pending for `recompute_agreement --pending`
            logger.exception("could not enqueue the agreement recompute of metric version %s", pk)
            RecomputeRequest.objects.filter(pk=pk, enqueued_at=now).update(enqueued_at=None)
            continue
        enqueued.append(pk)
    return enqueued


def pending_metric_version_ids() -> list[int]:
    return list(RecomputeRequest.objects.filter(requests__gt=F("completed_requests"))
                .order_by("pk").values_list("pk", flat=True))


def enqueue_lost_requests() -> list[int]:
    """For the beat sweeper: enqueue pending requests that nothing will run — none queued (its enqueue
    failed while the broker was down) or queued longer than RELIABILITY_PENDING_STALE_SECONDS — and
    none running (started within the task time limit)."""
    running_since = timezone.now() - timedelta(seconds=conf.task_time_limit())
    idle = (RecomputeRequest.objects.filter(requests__gt=F("completed_requests"))
            .filter(Q(last_started_at__isnull=True) | Q(last_started_at__lt=running_since)))
    return enqueue_pending(idle.values_list("pk", flat=True))


# --- running ------------------------------------------------------------------------------


@dataclass
class RecomputeOutcome:
    metric_version_id: int
    run: int = 0
    slices: int = 0
    written: int = 0
    unchanged: int = 0
    removed: int = 0
    units_stored: int | None = None  # per-unit rows rewritten, None if unchanged
    superseded: bool = False  # a later run had already written; nothing was written
    seconds: float = 0.0
    written_keys: list[tuple[str, str, str]] = field(default_factory=list)


@transaction.atomic
def _claim(metric_version_id: int) -> tuple[int, int]:
    """Take a run ticket; any request after this point enqueues a new task."""
    RecomputeRequest.objects.get_or_create(metric_version_id=metric_version_id)
    request = RecomputeRequest.objects.select_for_update().get(pk=metric_version_id)
    request.runs += 1
    request.enqueued_at = None
    request.last_started_at = timezone.now()
    request.save(update_fields=["runs", "enqueued_at", "last_started_at"])
    return request.runs, request.requests


def recompute_metric_version(*, metric_version_id: int, force: bool = False) -> RecomputeOutcome | None:
    """Recompute and store every slice of one metric version; None if the version no longer exists.

    `force` rewrites results even when their fingerprint is unchanged (after a code change).
    """
    with one_blas_thread():  # small products: BLAS threads cost more than they give (`reviews.agreement.blas`)
        return _recompute_metric_version(metric_version_id, force=force)


def _recompute_metric_version(metric_version_id: int, *, force: bool) -> RecomputeOutcome | None:
    started = time.monotonic()
    version = MetricVersion.objects.select_related("metric").filter(pk=metric_version_id).first()
    if version is None:
        RecomputeRequest.objects.filter(pk=metric_version_id).delete()
        return None
    run, requests_seen = _claim(metric_version_id)
    outcome = RecomputeOutcome(metric_version_id, run)

    scale = selectors.scale_of(version)
    params = Params(conf.bootstrap_replicates(), conf.confidence())
    rows = selectors.current_ratings(version, blind=True)  # the headline: each review's blind value
    newest = selectors.current_ratings(version) if selectors.revised_after_unblinding() else rows
    units = selectors.unit_infos({r.unit for r in rows} | {r.unit for r in newest})
    labels = selectors.labels_for(rows + newest, units)
    pieces = build_slices(rows, units, scale, labels)
    post = (discussion.post_discussion_pieces(pieces, build_slices(newest, units, scale, labels))
            if newest is not rows else discussion.unrevised(pieces))
    prints = {piece.key: discussion.combined_fingerprint(fingerprint(piece, scale, params), post.get(piece.key),
                                                         scale, params) for piece in pieces}
    stored = _stored_fingerprints(version)
    computed: dict[tuple[str, str, str], tuple[SliceStatistics, PostDiscussionAlpha]] = {}
    memo: HeadlineMemo = {}  # slices with the same inputs (often a public slice and its internal one) share figures

    def compute(piece: SliceInput) -> tuple[SliceStatistics, PostDiscussionAlpha]:
        if piece.key not in computed:
            stats = slice_statistics(
                piece, scale, params, prints[piece.key], labels,
                with_raters=piece.audience == Audience.INTERNAL, max_pairwise_raters=conf.max_pairwise_raters(),
                memo=memo)
            computed[piece.key] = stats, (discussion.post_discussion_alpha(post[piece.key], stats.alpha, scale),
                                          post[piece.key].revised_values)
        return computed[piece.key]

    for piece in pieces:
        if force or stored.get(piece.key) != prints[piece.key]:
            compute(piece)

    delay = conf.test_delay_seconds()
    if delay > 0:
        time.sleep(delay)

    _write(version, run, requests_seen, pieces, prints, compute, outcome, force=force)
    outcome.slices = len(pieces)
    outcome.seconds = time.monotonic() - started
    return outcome


def _stored_fingerprints(version: MetricVersion) -> dict[tuple[str, str, str], str]:
    return {(a, t, v): f for a, t, v, f in AgreementResult.objects.filter(metric_version=version)
            .values_list("audience", "slice_type", "slice_value", "inputs_fingerprint")}


@transaction.atomic
def _write(version: MetricVersion, run: int, requests_seen: int, pieces: list[SliceInput],
           prints: dict[tuple[str, str, str], str], compute, outcome: RecomputeOutcome, *, force: bool) -> None:
    # Writers of one metric version take turns on its row. FOR NO KEY UPDATE: inserting a score that
    # references the version (its FOR KEY SHARE) never waits for us; the request row, which review
    # submissions bump, is only touched at the very end.
    MetricVersion.objects.select_for_update(no_key=True).filter(pk=version.pk).values_list("pk", flat=True).get()
    written_run = RecomputeRequest.objects.filter(pk=version.pk).values_list("written_run", flat=True).get()
    now = timezone.now()
    finished = RecomputeRequest.objects.filter(pk=version.pk)
    if written_run > run:
        # A later run read newer scores and has written already; ours are stale.
        outcome.superseded = True
        finished.update(completed_requests=Greatest("completed_requests", Value(requests_seen)), last_finished_at=now)
        return
    existing = {(r.audience, r.slice_type, r.slice_value): r
                for r in AgreementResult.objects.filter(metric_version=version)}
    keep = set()
    for piece in pieces:
        key = piece.key
        keep.add(key)
        old = existing.get(key)
        if old is not None and old.inputs_fingerprint == prints[key] and not force:
            outcome.unchanged += 1
            if old.slice_label != piece.slice_label:  # a renamed model or study: the numbers stand
                AgreementResult.objects.filter(pk=old.pk).update(slice_label=piece.slice_label)
            continue
        stats, post_alpha = compute(piece)
        _store_result(version, piece, prints[key], stats, post_alpha, old, now)
        outcome.written += 1
        outcome.written_keys.append(key)
        if key == (Audience.INTERNAL, "all", ""):
            outcome.units_stored = _store_units(version, piece, stats, now)
    stale = [r.pk for key, r in existing.items() if key not in keep]
    if stale:
        AgreementResult.objects.filter(pk__in=stale).delete()
        outcome.removed = len(stale)
    if outcome.written or outcome.removed:
        record_audit(actor=None, verb=AUDIT_VERB, target=version,
                     data={"run": run, "written": outcome.written, "removed": outcome.removed,
                           "unchanged": outcome.unchanged, "units": outcome.units_stored})
    finished.update(written_run=run, completed_requests=Greatest("completed_requests", Value(requests_seen)),
                    last_finished_at=now)


def _store_result(version: MetricVersion, piece: SliceInput, fingerprint_hex: str, stats: SliceStatistics,
                  post: PostDiscussionAlpha, old: AgreementResult | None, now) -> AgreementResult:
    alpha, interval = stats.alpha, stats.interval
    result = old or AgreementResult(metric_version=version, audience=piece.audience, slice_type=piece.slice_type,
                                    slice_value=piece.slice_value)
    result.slice_label = piece.slice_label
    result.level = alpha.level
    result.alpha = alpha.alpha
    result.undefined_reason = alpha.reason or ""
    result.observed_disagreement = alpha.observed_disagreement
    result.expected_disagreement = alpha.expected_disagreement
    result.ci_low = interval.low
    result.ci_high = interval.high
    result.confidence = conf.confidence()
    result.bootstrap_replicates = conf.bootstrap_replicates() if alpha.alpha is not None else 0
    result.replicates_used = interval.n_replicates_used
    result.q_below_667, result.q_below_800 = (stats.q[t] for t in Q_THRESHOLDS)
    result.seed = stats.seed
    result.n_units = alpha.n_units
    result.n_units_rated = stats.n_units_rated
    result.n_pairable_values = alpha.n_pairable_values
    result.n_ratings = stats.n_ratings
    result.n_raters = alpha.n_raters
    result.raters = stats.raters
    result.pairwise = stats.pairwise
    result.judge_scores_public_before_review = piece.judge_scores_public_before_review
    post_alpha, result.values_revised_after_unblinding = post
    result.post_discussion_alpha = post_alpha.alpha
    result.post_discussion_undefined_reason = post_alpha.reason or ""
    result.post_discussion_n_units = post_alpha.n_units
    result.post_discussion_n_pairable_values = post_alpha.n_pairable_values
    result.inputs_fingerprint = fingerprint_hex
    result.computed_at = now
    result.save()
    return result


def _store_units(version: MetricVersion, piece: SliceInput, stats: SliceStatistics, now) -> int:
    """Replace the metric version's per-unit rows (one executemany: model instances cost seconds at 100k rows)."""
    rows = unit_rows(piece, stats.ratings, selectors.scale_of(version))
    UnitDisagreement.objects.filter(metric_version=version).delete()
    table = connection.ops.quote_name(UnitDisagreement._meta.db_table)
    columns = ["metric_version_id", "interview_id", "n_values", "values", "mean_pairwise_difference",
               "relative_disagreement", "value_range", "value_std", "computed_at"]
    sql = (f"INSERT INTO {table} ({', '.join(connection.ops.quote_name(c) for c in columns)}) "
           f"VALUES ({', '.join(['%s'] * len(columns))})")
    stamp = UnitDisagreement._meta.get_field("computed_at").get_db_prep_value(now, connection)
    if connection.vendor == "postgresql":  # COPY: one stream instead of a statement per 2,000 rows
        quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
        with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row((version.pk, row.unit, row.n_values, json.dumps(row.values), row.mean_pairwise_difference,
                                row.relative_disagreement, row.value_range, row.value_std, now))
        return len(rows)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 2000):
            cursor.executemany(sql, [
                (version.pk, row.unit, row.n_values, json.dumps(row.values), row.mean_pairwise_difference,
                 row.relative_disagreement, row.value_range, row.value_std, stamp)
                for row in rows[start:start + 2000]])
    return len(rows)
