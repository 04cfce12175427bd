"""Import throughput on the real Still Alive corpus, on SQLite and on PostgreSQL, in one run.

Run: .venv/bin/python -m pytest -m benchmark tests/benchmarks/test_bench_import.py -s
Each backend gets a fresh database; the import runs in a subprocess exactly as a user would run it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid

import pytest

from tests.fixtures.environment import REPO, STILL_ALIVE

pytestmark = pytest.mark.benchmark


def _postgres_available() -> bool:
    try:
        import psycopg

        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", connect_timeout=2):
            return True
    except Exception:  # noqa: BLE001
        return False


def _run(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, env=env, check=True,
                          capture_output=True, text=True)


def _time_import(database_url: str, **extra_env: str) -> tuple[float, str]:
    env = {**os.environ, "DATABASE_URL": database_url, "CELERY_BROKER_URL": "", "REDIS_URL": "", **extra_env}
    _run(env, "migrate", "--noinput")
    folders = [str(p) for p in sorted(STILL_ALIVE.glob("*-full"))] + [str(STILL_ALIVE / "gpt-auditor")]
    started = time.perf_counter()
    result = _run(env, "import_interviews", *folders)
    return time.perf_counter() - started, result.stdout.strip().splitlines()[-1]


def _time_import_postgres(**extra_env: str) -> tuple[float, str]:
    import psycopg

    name = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        return _time_import(f"postgres://postgres@127.0.0.1:5432/{name}", **extra_env)
    finally:
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_import_throughput(tmp_path):
    if not STILL_ALIVE.is_dir():
        pytest.skip(f"the Still Alive corpus is not at {STILL_ALIVE}")
    sessions = sum(1 for p in STILL_ALIVE.glob("*/*.json")
                   if (p.parent.name.endswith("-full") or p.parent.name == "gpt-auditor")
                   and p.name not in {"all_results.json", "analysis.json", "role-dropout-classification.json"})
    rows = []
    seconds, summary = _time_import(f"sqlite:///{tmp_path / 'bench.sqlite3'}")
    rows.append(("SQLite", seconds, summary))
    if _postgres_available():
        # The reference: one transaction an item, as imports ran before they were batched.
        for label, extra in (("PostgreSQL, 1 item a commit", {"IMPORT_BATCH_SIZE": "1"}), ("PostgreSQL", {})):
            seconds, summary = _time_import_postgres(**extra)
            rows.append((label, seconds, summary))
    print(f"\nStill Alive import ({sessions} session files; includes process start-up and file reading)")
    print(f"{'backend':<30}{'seconds':>10}{'sessions/s':>12}  result")
    for backend, secs, summary in rows:
        print(f"{backend:<30}{secs:>10.2f}{sessions / secs:>12.1f}  {summary}")
    if len(rows) == 3:
        print(f"batched vs one commit an item, PostgreSQL: {rows[1][1] / rows[2][1]:.1f}x")
    assert all(f"{sessions} accepted" in summary for _, _, summary in rows)
