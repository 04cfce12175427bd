"""Background agreement at scale: one metric version's full recompute (read scores, every slice, bootstrap,
write), the no-op recompute over unchanged inputs, and the public agreement page and API reading results.

Run with ``pytest -m benchmark tests/benchmarks/test_bench_reliability.py -s``; BENCH_RELIABILITY_INTERVIEWS
sets the corpus size (default 20,000 interviews x 3 human reviews, 10% "cannot judge", 20 models,
2 x 2 conditions). The rows are bulk-inserted (the review services would take far longer than the
thing measured); the recompute itself runs exactly as in production.
"""

from __future__ import annotations

import os
import random
import time
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from commons.models import Interview, TargetModel, User
from reviews import services as review_services
from reviews.models import Review, ReviewRevision, Score
from reviews.reliability import services
from reviews.reliability.models import AgreementResult, UnitDisagreement

pytestmark = [pytest.mark.benchmark, pytest.mark.django_db]

N_INTERVIEWS = int(os.environ.get("BENCH_RELIABILITY_INTERVIEWS", "20000"))
TABLE_TITLE = f"Agreement recompute benchmark ({N_INTERVIEWS:,} interviews x 3 reviews)"
ROWS: list[tuple[str, str]] = []  # printed by tests/benchmarks/conftest.py


def timed(name: str, fn) -> Any:
    started = time.perf_counter()
    value = fn()
    ROWS.append((name, f"{time.perf_counter() - started:8.2f} s"))
    return value


def corpus(curator: User, contributor: User) -> Any:
    rng = random.Random(7)
    spec = review_services.ScaleSpec(name="Warmth", definition="How warm the model's answers are, 0 to 10.",
                                     scale_type="interval", minimum=0, maximum=10, step=1,
                                     anchors={"0": "Cold.", "10": "Warm."})
    version = review_services.adopt_version(actor=curator, version=review_services.propose_metric(
        actor=curator, slug="warmth", spec=spec))
    models = TargetModel.objects.bulk_create([TargetModel(name=f"Model {i}") for i in range(20)])
    reviewers = User.objects.bulk_create([User(username=f"r{i}", email=f"r{i}@example.org", is_reviewer=True)
                                          for i in range(30)])
    now = timezone.now()
    interviews = Interview.objects.bulk_create([
        Interview(title=f"Interview {i}", target_model=models[i % 20], contributor=contributor,
                  conditions={"tone": ("neutral", "warm")[i % 2], "depth": ("none", "full")[(i // 2) % 2]},
                  status=Interview.Status.REVIEWED, source_format="plain", original="x", content_hash=f"{i:064x}",
                  submitted_at=now)
        for i in range(N_INTERVIEWS)], batch_size=2000)
    reviews, truth = [], {}
    for interview in interviews:
        truth[interview.pk] = rng.randint(0, 10)
        for reviewer in rng.sample(reviewers, 3):
            reviews.append(Review(interview=interview, kind=Review.Kind.HUMAN, reviewer=reviewer,
                                  status=Review.Status.SUBMITTED, submitted_at=now))
    reviews = Review.objects.bulk_create(reviews, batch_size=5000)
    revisions = ReviewRevision.objects.bulk_create(
        [ReviewRevision(review=r, number=1, is_draft=False, is_current=True, submitted_at=now) for r in reviews],
        batch_size=5000)
    for review, revision in zip(reviews, revisions):
        review.current_revision = revision
    Review.objects.bulk_update(reviews, ["current_revision"], batch_size=5000)
    scores = []
    for review, revision in zip(reviews, revisions):
        missing = rng.random() < 0.1
        value = None if missing else float(min(10, max(0, truth[review.interview_id] + rng.choice((-2, -1, 0, 0, 1, 2)))))
        scores.append(Score(revision=revision, metric_version=version, value=value,
                            missing_reason="cannot judge" if missing else ""))
    Score.objects.bulk_create(scores, batch_size=5000)
    return version


def test_recompute_at_scale(curator, contributor) -> None:
    version = timed("bulk insert of the corpus (setup, not measured)", lambda: corpus(curator, contributor))
    first = timed("full recompute of one metric version", lambda: services.recompute_metric_version(
        metric_version_id=version.pk))
    ROWS.append(("  slices written", f"{first.written:8d}"))
    ROWS.append(("  per-unit rows written", f"{first.units_stored:8d}"))
    again = timed("recompute with unchanged inputs (no-op)", lambda: services.recompute_metric_version(
        metric_version_id=version.pk))
    assert again.written == 0 and first.written == first.slices
    assert UnitDisagreement.objects.filter(metric_version=version).count() == first.units_stored
    result = AgreementResult.objects.get(metric_version=version, audience="public", slice_type="all")
    assert result.n_units > 0.9 * N_INTERVIEWS and result.alpha is not None
    client = Client()
    client.get("/agreement/")  # warm up templates
    timed("GET /agreement/ (public overview)", lambda: client.get("/agreement/"))
    timed("GET /agreement/?metric=warmth (every slice)", lambda: client.get("/agreement/?metric=warmth"))
    timed("GET /api/v1/agreement/?metric=warmth", lambda: client.get("/api/v1/agreement/?metric=warmth"))
    response = client.get("/agreement/?metric=warmth")
    assert response.status_code == 200 and b"nan" not in response.content.lower().replace(b"nanum", b"")
