"""Sustained load on the production stack: gunicorn + PostgreSQL + Redis + a Celery worker (with beat),
all on this machine, driven by Locust (tests/benchmarks/locustfile.py) with a mix of explorer pages,
API reads, signed-in review pages and a bulk import every ~10 s.

The load steps up; each step runs a fixed time and reports requests/s, p50/p95 and errors. The figure
that counts is the highest step with p95 < 500 ms and no errors. Locust runs on the same two cores as
the site, so the load generator's own CPU is part of the cost: the figures are a floor, not a ceiling.

    .venv/bin/python -m pytest tests/benchmarks/test_bench_load.py -m benchmark -s
Before the steps every public page is requested a few times (warm-up: imports, templates, caches).
Sign-in is measured apart from the steady mix (see the locustfile).
LOAD_STEPS (users, default "10,20,40,60") and LOAD_STEP_SECONDS (default 30) change the steps.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.fixtures import fault_stack
from tests.fixtures.environment import require

pytestmark = [pytest.mark.benchmark, pytest.mark.worker]
TABLE_TITLE = "Load (Locust) against gunicorn + PostgreSQL + Redis + Celery, this machine"
ROWS: list[tuple[str, str]] = []
STEPS = [int(n) for n in os.environ.get("LOAD_STEPS", "10,20,40,60").split(",")]
STEP_SECONDS = int(os.environ.get("LOAD_STEP_SECONDS", "30"))
P95_TARGET_MS = 500
WEB_WORKERS, WEB_THREADS = 2, 4
SEED = """
from commons.models import Interview, User
from commons import services
from reviews.models import MetricVersion
ids = list(Interview.objects.filter(visibility="public", status="submitted").values_list("pk", flat=True)[:200])
slugs = sorted(set(MetricVersion.objects.filter(status="adopted").values_list("metric__slug", flat=True)))
demo = User.objects.filter(email__endswith="@demo.invalid").order_by("email")
reviewers = [user.email for user in demo if user.is_reviewer]
print(json.dumps({"ids": ids, "slugs": slugs, "reviewers": reviewers,
                  "tokens": [services.create_api_token(user=user, name="load")[1] for user in demo],
                  "import_token": services.create_api_token(user=demo.get(email="contributor@demo.invalid"),
                                                            name="load import")[1]}))
"""


def run_step(stack: fault_stack.Stack, users: int, seed: dict, out: Path) -> dict:
    """One step; the steady mix's figures (sign-in apart, see the locustfile) and sign-in's."""
    prefix = out / f"step-{users}"
    summary = out / f"step-{users}.json"
    env = {**os.environ, "LOAD_SUMMARY": str(summary), "LOAD_INTERVIEW_IDS": ",".join(map(str, seed["ids"])),
           "LOAD_METRIC_SLUGS": ",".join(seed["slugs"]), "LOAD_REVIEWERS": ",".join(seed["reviewers"]),
           "LOAD_PASSWORD": "demo-password-1", "LOAD_IMPORT_TOKEN": seed["import_token"],
           "LOAD_READ_TOKENS": ",".join(seed["tokens"])}
    subprocess.run([sys.executable, "-m", "locust", "-f", str(Path(__file__).with_name("locustfile.py")),
                    "--headless", "--host", stack.base_url, "-u", str(users), "-r", str(max(1, users // 2)),
                    "-t", f"{STEP_SECONDS}s", "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING"],
                   env=env, check=False, capture_output=True, timeout=STEP_SECONDS + 120)
    return json.loads(summary.read_text())


def warm_up(stack: fault_stack.Stack, seed: dict) -> None:
    """Every public page of the mix a few times first, so each gunicorn worker has imported its modules,
    compiled its templates and filled the caches: the steps measure a running site, not its start."""
    paths = ["/", "/explore/", "/interviews/", f"/interviews/{seed['ids'][0]}/", "/api/v1/patterns/overview/",
             *(f"/explore/metrics/{slug}/" for slug in seed["slugs"]),
             *(f"/api/v1/patterns/metrics/{slug}/" for slug in seed["slugs"])]
    for round_ in range(2 * WEB_WORKERS):
        for n, path in enumerate(paths):
            # a client address of its own (the stack trusts one proxy), so the warm-up stays under the rate limits
            request = urllib.request.Request(stack.base_url + path,
                                             headers={"X-Forwarded-For": f"192.0.2.{1 + (round_ * 50 + n) % 250}"})
            urllib.request.urlopen(request, timeout=60).read()


def slowest(endpoints: dict[str, dict[str, float]], n: int = 4) -> str:
    ranked = sorted(endpoints.items(), key=lambda item: -item[1]["p95"])[:n]
    return ", ".join(f"{name} p95 {figures['p95']:.0f}" for name, figures in ranked)


def test_sustained_requests_per_second(tmp_path: Path) -> None:
    reason = fault_stack.available()
    require(reason is None, reason or "")
    env = {"DB_CONN_MAX_AGE": "60", "TRUSTED_PROXY_COUNT": "1"}
    with fault_stack.running_stack(env) as stack:
        stack.manage("load_demo")
        seed = stack.python(SEED)
        assert seed["ids"] and seed["slugs"] and seed["reviewers"], seed
        stack.start_web(workers=WEB_WORKERS, threads=WEB_THREADS)
        stack.start_worker("load")
        warm_up(stack, seed)
        sustained = None
        for users in STEPS:
            result = run_step(stack, users, seed, tmp_path)
            step, sign_in = result["steady"], result["sign_in"]
            ROWS.append((f"{users} users", f"{step['rps']:.1f} req/s, p50 {step['p50']:.0f} ms, "
                         f"p95 {step['p95']:.0f} ms, {step['failures']:.0f} errors in {step['requests']:.0f}; "
                         f"sign-in apart: {sign_in['requests']:.0f} requests, p50 {sign_in['p50']:.0f} ms, "
                         f"{sign_in['failures']:.0f} errors; slowest: {slowest(result['endpoints'])}"
                         + (f"; errors: {'; '.join(result['errors'])}" if result["errors"] else "")))
            if step["p95"] < P95_TARGET_MS and step["failures"] == 0 and sign_in["failures"] == 0:
                sustained = step
        errors = stack.log("web")
    load = " ".join(f"{n:.2f}" for n in os.getloadavg())
    ROWS.append(("setup", f"gunicorn {WEB_WORKERS} gthread workers × {WEB_THREADS} threads, 1 Celery worker + beat, "
                          f"load average at the end {load}, "
                          f"{len(seed['ids'])} demo interviews, {STEP_SECONDS} s a step"))
    assert sustained is not None, f"no step met p95 < {P95_TARGET_MS} ms with 0 errors: {ROWS}\n{errors[-3000:]}"
    ROWS.append(("sustained (p95 < 500 ms, 0 errors)", f"{sustained['rps']:.1f} req/s"))
