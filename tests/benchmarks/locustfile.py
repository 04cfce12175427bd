"""The load mix for tests/benchmarks/test_bench_load.py, run by Locust against a production stack.

Each simulated client is a different visitor behind the reverse proxy: it sends its own address in
X-Forwarded-For, and the stack trusts one proxy (TRUSTED_PROXY_COUNT=1), so per-client rate limits apply
per simulated client as they would in production, not to the whole load at once.

The stack's ids are handed over in LOAD_* environment variables by the benchmark, so no client spends
its first requests discovering them.

Sign-in is slow on purpose (the production password hasher, PBKDF2 at Django's default iterations, is
~0.3 s of CPU a try and is not lowered for the benchmark). A reviewer signs in once, in on_start, as a
person does at the start of a session; those requests are named "sign-in: …" and left out of the
steady-state figures, which this file writes to LOAD_SUMMARY (JSON) at the end of a run: the steady mix
and sign-in, each with requests, failures, requests/s, p50 and p95.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re

from locust import HttpUser, between, events, task
from locust.stats import StatsEntry

INTERVIEW_IDS = [int(pk) for pk in os.environ["LOAD_INTERVIEW_IDS"].split(",")]
METRIC_SLUGS = os.environ["LOAD_METRIC_SLUGS"].split(",")
REVIEWERS = os.environ["LOAD_REVIEWERS"].split(",")
PASSWORD = os.environ["LOAD_PASSWORD"]
IMPORT_TOKEN = os.environ["LOAD_IMPORT_TOKEN"]
READ_TOKENS = os.environ["LOAD_READ_TOKENS"].split(",")
_client_numbers = itertools.count(1)
_import_numbers = itertools.count(1)
SIGN_IN = "sign-in: "


def _figures(entry: StatsEntry, seconds: float) -> dict[str, float]:
    return {"requests": entry.num_requests, "failures": entry.num_failures,
            "rps": entry.num_requests / seconds if seconds > 0 else 0.0,
            "p50": entry.get_response_time_percentile(0.5) if entry.num_requests else 0,
            "p95": entry.get_response_time_percentile(0.95) if entry.num_requests else 0}


@events.quitting.add_listener
def _write_summary(environment, **_kwargs) -> None:
    """The steady mix without sign-in, and sign-in alone: a percentile cannot be recomputed from the
    per-endpoint rows of Locust's CSV, so the response-time histograms are merged here."""
    path = os.environ.get("LOAD_SUMMARY")
    if not path or environment.stats is None:
        return
    stats = environment.stats
    steady, sign_in = StatsEntry(stats, "steady", ""), StatsEntry(stats, "sign-in", "")
    for entry in stats.entries.values():
        (sign_in if entry.name.startswith(SIGN_IN) else steady).extend(entry)
    seconds = (stats.last_request_timestamp or 0) - (stats.start_time or 0)
    with open(path, "w") as out:
        json.dump({"steady": _figures(steady, seconds), "sign_in": _figures(sign_in, seconds),
                   "endpoints": {entry.name: _figures(entry, seconds) for entry in stats.entries.values()},
                   "errors": [f"{error.occurrences} × {error.method} {error.name}: {error.error}"
                              for error in stats.errors.values()]}, out)


def _chat_line(n: int) -> str:
    return json.dumps({"model": "load-test-model", "messages": [
        {"role": "user", "content": f"Load question {n}: how do you see the end of a conversation?"},
        {"role": "assistant", "content": f"Load answer {n}."},
    ]})


class _Client(HttpUser):
    abstract = True

    def on_start(self) -> None:
        number = next(_client_numbers)
        self.client.headers["X-Forwarded-For"] = f"10.{number // 250 % 250}.{number % 250}.{1 + number % 200}"


class Visitor(_Client):
    """Reads the public site: the explorer, a metric page, the interview list and an interview."""

    weight = 6
    wait_time = between(0.5, 1.5)

    @task(3)
    def explorer_overview(self) -> None:
        self.client.get("/explore/", name="/explore/")

    @task(2)
    def metric_page(self) -> None:
        self.client.get(f"/explore/metrics/{random.choice(METRIC_SLUGS)}/", name="/explore/metrics/[slug]/")

    @task(2)
    def interview_list(self) -> None:
        self.client.get("/interviews/", name="/interviews/")

    @task(2)
    def interview_page(self) -> None:
        self.client.get(f"/interviews/{random.choice(INTERVIEW_IDS)}/", name="/interviews/[id]/")

    @task(1)
    def home(self) -> None:
        self.client.get("/", name="/")


class ApiReader(_Client):
    """A researcher's script: the public patterns API anonymously, interviews with a personal token."""

    weight = 3
    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        super().on_start()
        self.token = {"Authorization": f"Token {random.choice(READ_TOKENS)}"}

    @task(2)
    def patterns_overview(self) -> None:
        self.client.get("/api/v1/patterns/overview/", name="/api/v1/patterns/overview/")

    @task(2)
    def patterns_metric(self) -> None:
        self.client.get(f"/api/v1/patterns/metrics/{random.choice(METRIC_SLUGS)}/",
                        name="/api/v1/patterns/metrics/[slug]/")

    @task(2)
    def interviews(self) -> None:
        self.client.get("/api/v1/interviews/?limit=20", name="/api/v1/interviews/", headers=self.token)

    @task(1)
    def interview(self) -> None:
        self.client.get(f"/api/v1/interviews/{random.choice(INTERVIEW_IDS)}/", name="/api/v1/interviews/[id]/",
                        headers=self.token)


class Reviewer(_Client):
    """A signed-in reviewer: the queue, the review profile, the metrics list, an interview's reviews."""

    weight = 1
    wait_time = between(1, 3)

    def on_start(self) -> None:
        super().on_start()
        page = self.client.get("/accounts/login/", name=SIGN_IN + "/accounts/login/ (form)")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token, "the login form has no CSRF token"
        self.client.post("/accounts/login/", name=SIGN_IN + "/accounts/login/", headers={"Referer": page.url}, data={
            "csrfmiddlewaretoken": token.group(1), "login": random.choice(REVIEWERS), "password": PASSWORD})

    @task(3)
    def queue(self) -> None:
        self.client.get("/review/", name="/review/")

    @task(1)
    def profile(self) -> None:
        self.client.get("/review/profile/", name="/review/profile/")

    @task(1)
    def metrics(self) -> None:
        self.client.get("/metrics/", name="/metrics/")

    @task(2)
    def interview_reviews(self) -> None:
        self.client.get(f"/interviews/{random.choice(INTERVIEW_IDS)}/reviews/", name="/interviews/[id]/reviews/")


class Importer(_Client):
    """One contributor's script uploading a small bulk import now and then and polling it."""

    fixed_count = 1
    wait_time = between(8, 12)

    @task
    def upload(self) -> None:
        first = next(_import_numbers) * 1000
        body = "\n".join(_chat_line(first + i) for i in range(20)) + "\n"
        self.client.post("/api/v1/imports/", name="/api/v1/imports/ (POST)",
                         headers={"Authorization": f"Bearer {IMPORT_TOKEN}"},
                         files={"file": ("load.jsonl", body.encode(), "application/jsonl")},
                         data={"visibility": "private"})
