"""Serving the explorer under load: pages stay cheap as the corpus grows, an expensive read is cut off
with a clear 503 instead of stalling everyone, and two sites on one Redis keep their cached values apart."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from commons.cache import ResilientRedisCache
from commons.timeouts import TIMED_OUT_MESSAGE
from reviews.explorer import materialize, selectors
from tests.factories import Corpus
from tests.fixtures.environment import require

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["/explore/", "/api/v1/patterns/overview/", "/explore/metrics/warmth/", "/api/v1/patterns/metrics/warmth/"]


def _grow(corpus: Corpus, models: list, interviewers: list, metric, reviewers: list, count: int,
          start: int = 0) -> None:
    for n in range(start, start + count):
        interview = corpus.interview(models[n % len(models)], interviewers[n % len(interviewers)],
                                     conditions={"tone": ("warm", "cold")[n % 2]}, title=f"grown {n}")
        for k, reviewer in enumerate(reviewers):
            corpus.human(interview, reviewer, {metric: (n + k) % 11})


def _queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return len(queries.captured_queries)


@pytest.mark.django_db
def test_the_explorer_pages_cost_the_same_few_queries_as_the_corpus_grows(client, contributor):
    corpus = Corpus(contributor)
    models = [corpus.model(f"Model {k}") for k in range(3)]
    interviewers = [corpus.interviewer(f"Auditor {k}") for k in range(2)]
    metric = corpus.metric("warmth", maximum=10)
    reviewers = [corpus.reviewer(f"r{k}") for k in range(2)]
    counts: dict[int, tuple] = {}
    grown = 0
    for size in (6, 60):
        _grow(corpus, models, interviewers, metric, reviewers, size - grown, start=grown)
        grown = size
        materialize.refresh_aggregates()
        first = {path: _queries(client, path) for path in PAGES}
        warm = {path: _queries(client, path) for path in PAGES}
        counts[size] = (first, warm)
        # Served whole from the cache: the last refresh and the stored agreement results (the public set's
        # fingerprint is itself cached) decide whether the cached page still holds; with the statement
        # timeout's SET LOCAL in its savepoint that is five statements. Nothing scales with the corpus.
        assert all(n <= 5 for n in warm.values()), warm
        assert all(n <= 20 for n in first.values()), first
    assert counts[6] == counts[60]
    assert client.get("/explore/").context["data"]["counts"]["interviews"] >= 60


@pytest.mark.django_db
def test_a_renamed_model_shows_on_the_next_page_not_after_the_cache_lapses(client, contributor):
    corpus = Corpus(contributor)
    model = corpus.model("Model Before")
    metric = corpus.metric("warmth", maximum=10)
    _grow(corpus, [model], [corpus.interviewer("Auditor")], metric, [corpus.reviewer("r1")], 3)
    materialize.refresh_aggregates()
    assert "Model Before" in client.get("/explore/").content.decode()
    model.name = "Model After"
    model.save()
    page = client.get("/explore/").content.decode()
    assert "Model After" in page and "Model Before" not in page
    assert [m["name"] for m in client.get("/api/v1/patterns/overview/").json()["models"]] == ["Model After"]


def test_a_reviewer_who_changes_their_name_shows_under_it_in_the_filters_at_once(client, contributor):
    corpus = Corpus(contributor)
    reviewer = corpus.reviewer("r1")
    reviewer.display_name = "Rosa Before"
    reviewer.save()
    _grow(corpus, [corpus.model("Model A")], [corpus.interviewer("Auditor")], corpus.metric("warmth", maximum=10),
          [reviewer], 3)
    materialize.refresh_aggregates()
    assert [r["name"] for r in selectors.filter_options()["reviewers"]] == ["Rosa Before"]
    generation = selectors.page_generation()
    client.force_login(reviewer)  # a sign-in saves last_login only: not a rename, the caches stay
    assert selectors.page_generation() == generation
    assert client.post("/account/name/", {"display_name": "Rosa After"}).status_code == 302
    assert [r["name"] for r in selectors.filter_options()["reviewers"]] == ["Rosa After"]


@pytest.mark.django_db(transaction=True)
def test_an_explorer_read_past_the_statement_timeout_answers_503_and_the_next_request_is_unlimited(
        client, settings, monkeypatch):
    require(connection.vendor == "postgresql", "needs PostgreSQL (statement_timeout)")
    settings.EXPLORER_STATEMENT_TIMEOUT_MS = 200

    def expensive(*args, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(3)")
        raise AssertionError("the statement should have been cancelled")

    monkeypatch.setattr(selectors, "overview", expensive)
    page = client.get("/explore/")
    assert page.status_code == 503 and TIMED_OUT_MESSAGE in page.content.decode()
    assert page["Retry-After"]
    api = client.get("/api/v1/patterns/overview/")
    assert api.status_code == 503 and api.json() == {"detail": TIMED_OUT_MESSAGE}
    monkeypatch.undo()
    assert client.get("/explore/").status_code == 200
    # The limit was local to each request's transaction: a kept connection carries no limit into other work.
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "0"


def _cache_prefix(**env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k != "CACHE_KEY_PREFIX"}
    clean.update(DJANGO_SETTINGS_MODULE="commons.settings", DEBUG="1", DATABASE_URL="sqlite:///:memory:", **env)
    code = ("import django, json; django.setup(); from django.conf import settings; "
            "print(json.dumps(settings.CACHES['default'].get('KEY_PREFIX')))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True,
                          timeout=60, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_cache_key_prefix_comes_from_the_environment():
    assert _cache_prefix() == "commons"
    assert _cache_prefix(CACHE_KEY_PREFIX="staging") == "staging"
    assert _cache_prefix(REDIS_URL="redis://127.0.0.1:1/0", CACHE_KEY_PREFIX="site-b") == "site-b"


def test_two_sites_on_one_redis_do_not_see_each_others_values():
    url = os.environ.get("REDIS_URL", "")
    require(bool(url), "needs REDIS_URL")
    production, staging = (ResilientRedisCache(url, {"KEY_PREFIX": prefix}) for prefix in ("production", "staging"))
    production.set("probe", 1, 5)
    require(production.get("probe") == 1, "Redis is not answering")
    production.set(materialize.PUBLIC_KEY, "production's public set", 30)
    staging.set(materialize.PUBLIC_KEY, "staging's public set", 30)
    try:
        assert production.get(materialize.PUBLIC_KEY) == "production's public set"
        assert staging.get(materialize.PUBLIC_KEY) == "staging's public set"
        staging.delete(materialize.PUBLIC_KEY)
        assert production.get(materialize.PUBLIC_KEY) == "production's public set"
    finally:
        production.delete(materialize.PUBLIC_KEY)
