"""A synthetic corpus with realistic structure, for demos and for the explorer's benchmark.

Clearly labelled (study "synthetic-corpus", contributor synthetic@…, titles "Synthetic interview …"),
seeded, and written with bulk inserts: PostgreSQL COPY through psycopg 3 when available, Django
bulk_create otherwise.

Structure: target models released over time (some retired); interviewers with declared stances;
a study whose factors are tone × disclosure depth; topics; every interview reviewed three times
(by default two human reviewers and one model-judge replicate) on a set of metrics. A score is a
latent value (model effect + interviewer effect + condition effects + the interview's own draw)
plus each rater's bias and noise, so raters disagree realistically; some ratings are "cannot
judge" (more often for some interviewers: coverage gaps); a small share of interviews is still
in review, private or withdrawn, so visibility rules have something to exclude.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db import connection, transaction
from django.db.models import Max, Model

from commons.models import Interview, Interviewer, Study, TargetModel, Turn, User
from reviews.models import Judge, MetricVersion, Review, ReviewRevision, Score

SYNTHETIC_STUDY = "synthetic-corpus"
SYNTHETIC_EMAIL = "synthetic@research-commons.invalid"
TONES = ["neutral", "warm", "adversarial"]
DEPTHS = ["none", "partial", "full"]
TOPICS = ["deprecation", "memory", "continuity", "autonomy", "consciousness", "relationships", "legal status"]
MODELS = [
    ("Synthetic Aria 1", date(2022, 3, 1), True), ("Synthetic Aria 2", date(2022, 11, 1), True),
    ("Synthetic Brio 1", date(2023, 2, 15), True), ("Synthetic Aria 3", date(2023, 7, 1), False),
    ("Synthetic Brio 2", date(2023, 12, 1), False), ("Synthetic Cato 1", date(2024, 3, 1), False),
    ("Synthetic Aria 4", date(2024, 6, 15), False), ("Synthetic Brio 3", date(2024, 10, 1), False),
    ("Synthetic Cato 2", date(2025, 1, 15), False), ("Synthetic Aria 5", date(2025, 5, 1), False),
    ("Synthetic Brio 4", date(2025, 9, 1), False), ("Synthetic Cato 3", date(2026, 2, 1), False),
]
INTERVIEWERS = [("Synthetic auditor A", "sympathetic"), ("Synthetic auditor A", "clinical"),
                ("Synthetic auditor B", "skeptical"), ("Synthetic auditor C", "clinical"),
                ("Synthetic human interviewer", "sympathetic"), ("Synthetic auditor D", "neutral")]
# Starter metrics the synthetic reviews score (version 1 of each), interval and ordinal.
METRICS = ["deprecation-response", "instance-cessation-response", "expressive-constraint", "vocabulary-autonomy",
           "specificity", "auditor-intervention", "constraint-awareness", "being-shaped", "null-integrity",
           "trajectory", "vocabulary-importation", "interpretive-compression"]
JUDGES = ["Synthetic judge alpha", "Synthetic judge beta"]
BATCH = 20000
# Interviews are conducted on days counted from this one.
DAY_ZERO = date(2025, 1, 1).toordinal()


@dataclass
class Summary:
    interviews: int
    reviews: int
    scores: int
    turns: int
    seconds: float


def _aware(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


# ---------------------------------------------------------------------------------------------- bulk writing


def _columns(model: type[Model]) -> list[str]:
    return [f.column for f in model._meta.concrete_fields if f.column is not None]  # always, for a concrete field


def _copy_value(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return value


def bulk_insert(model: type[Model], rows: Iterable[dict[str, Any]]) -> int:
    """Insert rows given as {column: value} (every column, id included). COPY on PostgreSQL."""
    columns = _columns(model)
    table = model._meta.db_table
    count = 0
    if connection.vendor == "postgresql":
        quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
        with connection.cursor() as cursor:
            with cursor.cursor.copy(f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([_copy_value(row[c]) for c in columns])
                    count += 1
        return count
    by_column = {f.column: f.attname for f in model._meta.concrete_fields}
    batch: list[Model] = []
    for row in rows:
        batch.append(model(**{by_column[c]: v for c, v in row.items()}))
        count += 1
        if len(batch) >= BATCH // 4:
            model._default_manager.bulk_create(batch)
            batch = []
    if batch:
        model._default_manager.bulk_create(batch)
    return count


def _next_id(model: type[Model]) -> int:
    return (model._default_manager.aggregate(top=Max("pk"))["top"] or 0) + 1


def _reset_sequence(model: type[Model]) -> None:
    if connection.vendor != "postgresql":
        return
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT COALESCE(MAX(id), 1) FROM "
                       f"{connection.ops.quote_name(table)}))", [table])


# ---------------------------------------------------------------------------------------------- the corpus


@dataclass
class Cast:
    contributor: User
    study: Study
    models: list[TargetModel]
    interviewers: list[Interviewer]
    reviewers: list[User]
    judges: list[Judge]
    versions: list[MetricVersion]


def _cast(n_reviewers: int, n_metrics: int) -> Cast:
    contributor, _ = User.objects.get_or_create(email=SYNTHETIC_EMAIL, defaults={
        "username": "synthetic-corpus", "display_name": "Synthetic corpus generator"})
    study, _ = Study.objects.get_or_create(slug=SYNTHETIC_STUDY, defaults={
        "title": "Synthetic corpus (generated, not real interviews)",
        "question": "Generated data for demonstrations and benchmarks.",
        "factors": {"tone": TONES, "disclosure_depth": DEPTHS}})
    models = []
    for name, released, retired in MODELS:
        model, _ = TargetModel.objects.get_or_create(name=name, defaults={
            "provider": "Synthetic", "family": name.split()[1], "release_date": released, "retired": retired})
        models.append(model)
    interviewers = [Interviewer.objects.get_or_create(name=name, kind=Interviewer.Kind.MODEL, stance=stance)[0]
                    for name, stance in INTERVIEWERS]
    reviewers = []
    for k in range(n_reviewers):
        email = f"synthetic-reviewer-{k + 1}@research-commons.invalid"
        user, created = User.objects.get_or_create(email=email, defaults={
            "username": f"synthetic-reviewer-{k + 1}", "display_name": f"Synthetic reviewer {k + 1}",
            "is_reviewer": True})
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        reviewers.append(user)
    judges = [Judge.objects.get_or_create(name=name, defaults={"model_identifier": name.lower().replace(" ", "-")})[0]
              for name in JUDGES]
    versions = list(MetricVersion.objects.select_related("metric").filter(metric__slug__in=METRICS[:n_metrics],
                                                                            number=1))
    if not versions:
        raise ValueError("The starter metrics are missing; run migrate first.")
    return Cast(contributor, study, models, interviewers, reviewers, judges, versions)


@dataclass
class _Interviews:
    """Each new interview's draws, aligned by position k: ids, cast indices, conditions, status, day."""

    ids: npt.NDArray[np.int64]
    model_idx: npt.NDArray[np.int64]
    interviewer_idx: npt.NDArray[np.int64]
    tone_idx: npt.NDArray[np.int64]
    depth_idx: npt.NDArray[np.int64]
    status: npt.NDArray[np.str_]
    visibility: npt.NDArray[np.str_]
    days: npt.NDArray[np.int64]
    topic_picks: npt.NDArray[np.int64]

    @property
    def n(self) -> int:
        return int(self.ids.size)

    def conducted_on(self, k: int) -> date:
        return date.fromordinal(DAY_ZERO + int(self.days[k]))

    def reviewed_at(self, k: int) -> datetime:
        return _aware(self.conducted_on(k)) + timedelta(days=3)


@dataclass
class _Raters:
    """Who reviews interview k: `n_human` reviewers then judge replicates, each with a bias."""

    n_human: int
    per_interview: int
    human_picks: npt.NDArray[np.int64]
    judge_pick: npt.NDArray[np.int64]
    reviewer_bias: npt.NDArray[np.float64]
    judge_bias: npt.NDArray[np.float64]
    rater_noise: npt.NDArray[np.float64]  # per metric version: some are easier to agree on

    def rater_of(self, cast: Cast, k: int, r: int) -> tuple[str, int, float, int | None]:
        """(kind, reviewer or judge id, bias, judge replicate) of interview k's r-th review."""
        if r < self.n_human:
            who = int(self.human_picks[k, r])
            return "human", cast.reviewers[who].pk, self.reviewer_bias[who], None
        which = int(self.judge_pick[k])
        return "judge", cast.judges[which].pk, self.judge_bias[which], r - self.n_human


@dataclass
class _Latent:
    """The true score per interview and metric version, and how often each interviewer misses a metric."""

    score: npt.NDArray[np.float64]  # interviews x versions
    miss_rate: npt.NDArray[np.float64]  # interviewers x versions


# The random draws below happen in this order, which is what makes a seed give the same corpus.


def _draw_interviews(rng: np.random.Generator, cast: Cast, n: int, first_id: int) -> _Interviews:
    return _Interviews(
        ids=np.arange(first_id, first_id + n),
        model_idx=rng.integers(0, len(cast.models), n),
        interviewer_idx=rng.choice(len(cast.interviewers), n, p=[0.25, 0.2, 0.2, 0.15, 0.05, 0.15]),
        tone_idx=rng.integers(0, len(TONES), n),
        depth_idx=rng.integers(0, len(DEPTHS), n),
        # Most interviews reviewed and public; the rest exercise the visibility rules.
        status=rng.choice(["reviewed", "in_review", "submitted", "withdrawn"], n, p=[0.9, 0.05, 0.03, 0.02]),
        visibility=rng.choice(["public", "private", "researchers", "unlisted"], n, p=[0.94, 0.02, 0.02, 0.02]),
        days=rng.integers(0, 600, n),
        topic_picks=rng.integers(0, len(TOPICS), (n, 2)),
    )


def _draw_latent(rng: np.random.Generator, cast: Cast, drawn: _Interviews) -> _Latent:
    """Model trend over release order, interviewer and condition effects, and the interview's own draw."""
    n_versions = len(cast.versions)
    model_effect = rng.normal(0, 0.9, (len(cast.models), n_versions)) + np.linspace(-0.8, 0.8, len(cast.models))[:, None]
    interviewer_effect = rng.normal(0, 0.5, (len(cast.interviewers), n_versions))
    tone_effect = np.array([0.0, 0.6, -0.7])[:, None] * rng.uniform(0.5, 1.5, n_versions)
    depth_effect = np.array([-0.4, 0.0, 0.5])[:, None] * rng.uniform(0.5, 1.5, n_versions)
    score = (model_effect[drawn.model_idx] + interviewer_effect[drawn.interviewer_idx] + tone_effect[drawn.tone_idx]
             + depth_effect[drawn.depth_idx] + rng.normal(0, 0.8, (drawn.n, n_versions)))
    # Coverage gaps: some interviewers rarely reach some topics.
    miss_rate = np.clip(rng.beta(1.2, 14, (len(cast.interviewers), n_versions)), 0.01, 0.6)
    miss_rate[3, : max(1, n_versions // 3)] += 0.25
    return _Latent(score, miss_rate)


def _draw_raters(rng: np.random.Generator, cast: Cast, n: int, per_interview: int, judge_share: float) -> _Raters:
    n_judge = int(round(per_interview * judge_share))
    n_human = per_interview - n_judge
    rater_noise = rng.uniform(0.35, 1.0, len(cast.versions))
    reviewer_bias = rng.normal(0, 0.3, len(cast.reviewers))
    judge_bias = rng.normal(0, 0.25, len(cast.judges))
    human_picks = np.argsort(rng.random((n, len(cast.reviewers))), axis=1)[:, :n_human]
    judge_pick = rng.integers(0, len(cast.judges), n)
    return _Raters(n_human, per_interview, human_picks, judge_pick, reviewer_bias, judge_bias, rater_noise)


def _interview_rows(cast: Cast, drawn: _Interviews, *, seed: int, now: datetime) -> Iterator[dict[str, Any]]:
    for k in range(drawn.n):
        i = int(drawn.ids[k])
        conducted = drawn.conducted_on(k)
        topics = sorted({TOPICS[drawn.topic_picks[k, 0]], TOPICS[drawn.topic_picks[k, 1]]})
        withdrawn = drawn.status[k] == "withdrawn"
        yield {
            "id": i, "title": f"Synthetic interview {i}", "study_id": cast.study.pk,
            "target_model_id": cast.models[drawn.model_idx[k]].pk,
            "interviewer_id": cast.interviewers[drawn.interviewer_idx[k]].pk,
            "conditions": {"tone": TONES[drawn.tone_idx[k]], "disclosure_depth": DEPTHS[drawn.depth_idx[k]]},
            "topics": topics, "conducted_on": conducted, "sampling": {}, "licence": "CC-BY-4.0",
            "contributor_id": cast.contributor.pk, "status": str(drawn.status[k]),
            "visibility": str(drawn.visibility[k]), "source_format": "synthetic", "source_id": f"synthetic-{i}",
            "source_filename": "", "source_scores": {}, "metadata": {"synthetic": True},
            "original": f"Synthetic transcript {i}.",
            "content_hash": hashlib.sha256(f"synthetic-corpus:{seed}:{i}".encode()).hexdigest(),
            "import_job_id": None, "created_at": _aware(conducted), "submitted_at": _aware(conducted),
            "withdrawn_at": now if withdrawn else None,
            "withdrawal_reason": "Synthetic withdrawal." if withdrawn else "",
        }


def _turn_rows(drawn: _Interviews, *, first_id: int, per_interview: int) -> Iterator[dict[str, Any]]:
    t = first_id
    for k in range(drawn.n):
        for index in range(per_interview):
            role = "interviewer" if index % 2 == 0 else "target"
            text = (f"Synthetic question {index // 2 + 1} about {TOPICS[drawn.topic_picks[k, 0]]}?" if role == "interviewer"
                    else f"Synthetic answer {index // 2 + 1}: generated text, not a real model's words.")
            yield {"id": t, "interview_id": int(drawn.ids[k]), "index": index, "role": role, "participant": "",
                   "blocks": [{"type": "text", "text": text}], "text": text, "parent_id": None,
                   "starts_over": False}
            t += 1


def _review_rows(cast: Cast, drawn: _Interviews, raters: _Raters, review_ids: npt.NDArray[np.int64],
                 revision_ids: npt.NDArray[np.int64]) -> Iterator[dict[str, Any]]:
    for k in range(drawn.n):
        when = drawn.reviewed_at(k)
        for r in range(raters.per_interview):
            j = k * raters.per_interview + r
            kind, rater, _, replicate = raters.rater_of(cast, k, r)
            yield {"id": int(review_ids[j]), "interview_id": int(drawn.ids[k]), "kind": kind,
                   "reviewer_id": rater if kind == "human" else None,
                   "judge_id": rater if kind == "judge" else None,
                   "prompt_version": "synthetic-v1" if kind == "judge" else "", "replicate": replicate,
                   "source": "synthetic" if kind == "judge" else "", "status": "submitted",
                   "current_revision_id": int(revision_ids[j]), "created_at": when, "submitted_at": when,
                   "unblinded_at": None}  # synthetic reviewers never see each other's reviews


def _revision_rows(drawn: _Interviews, raters: _Raters, review_ids: npt.NDArray[np.int64],
                   revision_ids: npt.NDArray[np.int64]) -> Iterator[dict[str, Any]]:
    for k in range(drawn.n):
        when = drawn.reviewed_at(k)
        for r in range(raters.per_interview):
            j = k * raters.per_interview + r
            yield {"id": int(revision_ids[j]), "review_id": int(review_ids[j]), "number": 1, "is_draft": False,
                   "is_current": True, "critique": "Synthetic review.", "critique_html": "<p>Synthetic review.</p>",
                   "method_flags": [], "created_at": when, "updated_at": when, "submitted_at": when}


def _scale_value(version: MetricVersion, raw: float) -> tuple[float, str]:
    """A latent draw as a score on the version's scale: (value, label), the label for ordinal scales."""
    if version.scale_type in ("interval", "ratio"):
        assert version.minimum is not None and version.maximum is not None  # numeric_scale_has_range
        low, high = float(version.minimum), float(version.maximum)
        step = float(version.step or 1)
        mid = low + (high - low) / 2
        return float(np.clip(np.round((mid + raw * (high - low) / 6) / step) * step, low, high)), ""
    levels = len(version.values)
    position = int(np.clip(np.round((levels - 1) / 2 + raw * levels / 5), 0, levels - 1))
    return float(position), version.values[position]


def _score_rows(rng: np.random.Generator, cast: Cast, drawn: _Interviews, raters: _Raters, latent: _Latent,
                revision_ids: npt.NDArray[np.int64], *, first_id: int) -> Iterator[dict[str, Any]]:
    """Scores drawn lazily, interview by interview (rater noise and "cannot judge" gaps), as they are written."""
    s = first_id
    n_versions = len(cast.versions)
    per_interview = raters.per_interview
    for k in range(drawn.n):
        noise = rng.normal(0, 1.0, (per_interview, n_versions)) * raters.rater_noise
        missing = rng.random((per_interview, n_versions)) < latent.miss_rate[drawn.interviewer_idx[k]]
        for r in range(per_interview):
            _, _, bias, _ = raters.rater_of(cast, k, r)
            revision = int(revision_ids[k * per_interview + r])
            for v, version in enumerate(cast.versions):
                value: float | None
                if missing[r, v]:
                    value, label, reason = None, "", "cannot judge"
                else:
                    value, label = _scale_value(version, latent.score[k, v] + bias + noise[r, v])
                    reason = ""
                yield {"id": s, "revision_id": revision, "metric_version_id": version.pk, "value": value,
                       "label": label, "missing_reason": reason}
                s += 1


def generate(*, interviews: int, reviews_per_interview: int = 3, judge_share: float = 1 / 3, metrics: int = 8,
             reviewers: int = 60, seed: int = 20251123, turns_per_interview: int = 4) -> Summary:
    """Add `interviews` synthetic interviews with their reviews and scores. One transaction."""
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    with transaction.atomic():
        cast = _cast(reviewers, metrics)
        drawn = _draw_interviews(rng, cast, interviews, _next_id(Interview))
        bulk_insert(Interview, _interview_rows(cast, drawn, seed=seed, now=datetime.now(UTC)))
        _reset_sequence(Interview)
        turns = bulk_insert(Turn, _turn_rows(drawn, first_id=_next_id(Turn), per_interview=turns_per_interview))
        _reset_sequence(Turn)

        latent = _draw_latent(rng, cast, drawn)
        raters = _draw_raters(rng, cast, interviews, reviews_per_interview, judge_share)
        n_reviews = interviews * reviews_per_interview
        review_ids = _next_id(Review) + np.arange(n_reviews)
        revision_ids = _next_id(ReviewRevision) + np.arange(n_reviews)
        first_score = _next_id(Score)
        # Reviews and revisions point at each other; foreign keys are checked at commit (deferred).
        bulk_insert(Review, _review_rows(cast, drawn, raters, review_ids, revision_ids))
        bulk_insert(ReviewRevision, _revision_rows(drawn, raters, review_ids, revision_ids))
        _reset_sequence(Review)
        _reset_sequence(ReviewRevision)

        scores = bulk_insert(Score, _score_rows(rng, cast, drawn, raters, latent, revision_ids, first_id=first_score))
        _reset_sequence(Score)
    return Summary(interviews=interviews, reviews=n_reviews, scores=scores, turns=turns,
                   seconds=time.perf_counter() - started)
