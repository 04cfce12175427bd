"""A full `recompute_agreement`: the real Still Alive corpus with both judges, and a synthetic corpus at scale.

Run on PostgreSQL (the figures in the README):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/commons_fidelity DATABASE_TEST_NAME=test_commons_fidelity \\
    STILL_ALIVE_DIR=../shared/data/still-alive .venv/bin/python -m pytest -m benchmark \\
        tests/benchmarks/test_bench_recompute.py -s

Each test times, on its own corpus: the command from no stored results; the command again with
`--force` (every result rewritten, so every result exists while the versions are selected — the
case the old selector was slow in); the metric-version selection alone, as it is now (EXISTS) and
as it was (two LEFT JOINs ORed under DISTINCT, cut off after BENCH_OLD_QUERY_TIMEOUT seconds,
default 300); and, on the real corpus, the `--force` command with the old selector put back.
BENCH_RECOMPUTE_INTERVIEWS sets the synthetic corpus's size (default 100,000 interviews × 3
reviews, 8 metrics). Figures are printed and written to test-artifacts/bench_recompute_<name>.json.

The previous implementation in the same run: BENCH_RECOMPUTE_REFERENCE=<a checkout of an older commit>
(e.g. `git archive <commit> | tar -x -C /tmp/old`) runs that checkout's `recompute_agreement --force` on the
same database in a subprocess, and its results must equal ours (alpha, counts and interval to 1e-9). Every
time is given as wall seconds and CPU seconds (user + system of this process or the subprocess): on a shared
two-core machine the CPU figure is the steadier one.
"""

from __future__ import annotations

import json
import math
import os
import resource
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Q

from reviews.models import MetricVersion
from reviews.reliability import selectors
from reviews.reliability.models import AgreementResult, UnitDisagreement
from tests import factories
from tests.fixtures.environment import STILL_ALIVE

pytestmark = [pytest.mark.benchmark, pytest.mark.django_db(transaction=True)]

REPO = Path(__file__).resolve().parents[2]
SYNTHETIC_INTERVIEWS = int(os.environ.get("BENCH_RECOMPUTE_INTERVIEWS", "100000"))
OLD_QUERY_TIMEOUT = int(os.environ.get("BENCH_OLD_QUERY_TIMEOUT", "300"))
REFERENCE = os.environ.get("BENCH_RECOMPUTE_REFERENCE", "")
JUDGES = {"Claude Opus 4.6": ("scores-v2.1", "scores-gpt-v2.1"),
          "GPT-5.4": ("scores-v2.1-gptjudge", "scores-gpt-v2.1-gptjudge")}


def old_selector():
    """`metric_versions_with_scores` before issue 11."""
    return (MetricVersion.objects.filter(Q(scores__isnull=False) | Q(agreement_results__isnull=False)).distinct()
            .select_related("metric").order_by("metric__slug", "number"))


def seconds(fn) -> tuple[float, Any]:
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def cpu(who: int = resource.RUSAGE_SELF) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def recompute(*args: str) -> float:
    return seconds(lambda: call_command("recompute_agreement", *args, stdout=StringIO()))[0]


def recompute_timed(figures: dict[str, Any], name: str, *args: str) -> None:
    before = cpu()
    figures[f"{name}_s"] = round(recompute(*args), 2)
    figures[f"{name}_cpu_s"] = round(cpu() - before, 2)


FIELDS = ("alpha", "undefined_reason", "ci_low", "ci_high", "replicates_used", "q_below_667", "q_below_800", "seed",
          "n_units", "n_units_rated", "n_pairable_values", "n_ratings", "n_raters", "post_discussion_alpha",
          "values_revised_after_unblinding", "inputs_fingerprint")


def stored_results() -> dict[tuple, tuple]:
    return {(r["metric_version_id"], r["audience"], r["slice_type"], r["slice_value"]): tuple(r[f] for f in FIELDS)
            for r in AgreementResult.objects.values("metric_version_id", "audience", "slice_type", "slice_value",
                                                    *FIELDS)}


def same(ours: tuple, theirs: tuple) -> bool:
    return all((a is None and b is None) or a == b
               or (isinstance(a, float) and isinstance(b, float) and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12))
               for a, b in zip(ours, theirs, strict=True))


def reference_recompute(figures: dict[str, Any]) -> None:
    """The older checkout's `recompute_agreement --force` on this database; its results must equal ours."""
    ours = stored_results()
    settings = connection.settings_dict
    url = (f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/"
           f"{settings['NAME']}")
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "1", "CELERY_BROKER_URL": "", "REDIS_URL": ""}
    before = cpu(resource.RUSAGE_CHILDREN)
    figures["reference_force_s"] = round(seconds(lambda: subprocess.run(
        [sys.executable, "manage.py", "recompute_agreement", "--force"], cwd=REFERENCE, env=env, check=True,
        capture_output=True))[0], 2)
    figures["reference_force_cpu_s"] = round(cpu(resource.RUSAGE_CHILDREN) - before, 2)
    theirs = stored_results()
    assert ours.keys() == theirs.keys()
    differing = [key for key in ours if not same(ours[key], theirs[key])]
    figures["reference_results_differing"] = len(differing)
    assert not differing, differing[:5]
    for name in ("s", "cpu_s"):
        figures[f"speedup_force_{name}"] = round(figures[f"reference_force_{name}"] / figures[f"recompute_force_{name}"], 1)


def old_query_seconds() -> float | None:
    """The old selection alone; None if it ran past the cut-off (PostgreSQL statement_timeout)."""
    if connection.vendor != "postgresql":
        return seconds(lambda: list(old_selector()))[0]
    from django.db import OperationalError, transaction

    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL statement_timeout = {OLD_QUERY_TIMEOUT * 1000}")
            return seconds(lambda: list(old_selector()))[0]
    except OperationalError:
        return None


def measure(name: str, *, with_old_command: bool) -> dict[str, Any]:
    AgreementResult.objects.all().delete()  # an import's own recompute ran in-process: start from none stored
    UnitDisagreement.objects.all().delete()
    figures: dict[str, Any] = {"database": connection.vendor, "metric_versions": len(selectors.metric_versions_with_scores())}
    recompute_timed(figures, "recompute_from_empty")
    recompute_timed(figures, "recompute_force", "--force")
    recompute_timed(figures, "recompute_unchanged")
    figures["select_exists_s"], chosen = seconds(lambda: list(selectors.metric_versions_with_scores()))
    figures["select_old_or_joins_s"] = old_query_seconds()
    if figures["select_old_or_joins_s"] is not None:
        assert [v.pk for v in old_selector()] == [v.pk for v in chosen]
    if with_old_command:
        fast = selectors.metric_versions_with_scores
        selectors.metric_versions_with_scores = old_selector
        try:
            figures["recompute_force_old_selector_s"] = recompute("--force")
        finally:
            selectors.metric_versions_with_scores = fast
    figures["results"] = AgreementResult.objects.count()
    if REFERENCE and connection.vendor == "postgresql":
        reference_recompute(figures)
    out = REPO / "test-artifacts" / f"bench_recompute_{name}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(figures, indent=2))
    print(f"\n{name}: " + json.dumps(figures, indent=2))
    return figures


def test_recompute_real_corpus_both_judges() -> None:
    if not (STILL_ALIVE / "scores-v2.1").is_dir():
        pytest.skip(f"the Still Alive corpus is not at {STILL_ALIVE} (set STILL_ALIVE_DIR)")
    # As tests/test_reliability_still_alive.py imports it: one study that publishes its judge scores, each judge's
    # score files of its v2.1 folders (not the older rubric's backup-v2 sub-folder).
    folders = [str(p) for p in sorted(STILL_ALIVE.glob("*-full"))] + [str(STILL_ALIVE / "gpt-auditor")]
    factories.study("still-alive")  # `--judge-scores-public` below publishes its judge scores
    call_command("import_interviews", *folders, "--study", "still-alive", verbosity=0)
    for judge, dirs in JUDGES.items():
        files = [str(f) for d in dirs for f in sorted((STILL_ALIVE / d).glob("*.json"))]
        call_command("import_reviews", *files, "--judge", judge, "--judge-scores-public", verbosity=0)
    figures = measure("still_alive", with_old_command=True)
    assert figures["metric_versions"] >= 23 and figures["results"] > 0  # 24 since ending response (derived)


def test_recompute_synthetic_corpus() -> None:
    generated, _ = seconds(lambda: call_command("generate_corpus", interviews=SYNTHETIC_INTERVIEWS, no_refresh=True,
                                                stdout=StringIO()))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    figures = measure(f"synthetic_{SYNTHETIC_INTERVIEWS}", with_old_command=False)
    print(f"generated {SYNTHETIC_INTERVIEWS} interviews in {generated:.0f} s")
    assert figures["metric_versions"] >= 8
