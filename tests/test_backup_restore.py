"""The README's backup round-trips: `pg_dump -Fc` of a database holding a corpus and a dataset release, then
`pg_restore` into a fresh database, gives the same rows in every table, the same sequences and the same release
checksums — which still match the release files on disk."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from psycopg import sql

from commons.models import Interview
from reviews.explorer import materialize, releases
from reviews.explorer.models import DatasetRelease, ReleaseFile
from reviews.models import MetricVersion
from reviews.reliability import services as reliability
from tests import factories
from tests.factories import Corpus
from tests.fixtures.environment import require

pytestmark = pytest.mark.django_db(transaction=True)  # pg_dump sees committed rows only


@pytest.fixture
def postgres() -> dict[str, str]:
    require(connection.vendor == "postgresql", "backups are pg_dump / pg_restore: run with a PostgreSQL DATABASE_URL")
    require(bool(shutil.which("pg_dump") and shutil.which("pg_restore")), "pg_dump and pg_restore are needed")
    db = connection.settings_dict
    return {"host": db["HOST"] or "127.0.0.1", "port": str(db["PORT"] or 5432), "user": db["USER"] or "postgres",
            "password": db["PASSWORD"] or "", "dbname": db["NAME"]}


@pytest.fixture
def restored(postgres: dict[str, str]) -> Iterator[dict[str, str]]:
    """An empty database beside the test database, dropped afterwards."""
    target = {**postgres, "dbname": f"{postgres['dbname']}_restored"}
    admin = {**postgres, "dbname": "postgres"}
    with psycopg.connect(**admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(target["dbname"])))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(target["dbname"])))
    yield target
    with psycopg.connect(**admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(target["dbname"])))


def run(tool: str, db: dict[str, str], *args: str) -> None:
    env = {**os.environ, "PGPASSWORD": db["password"]}
    done = subprocess.run([tool, "-h", db["host"], "-p", db["port"], "-U", db["user"], *args], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


@pytest.fixture
def corpus_with_a_release(contributor, make_user, settings, tmp_path) -> DatasetRelease:
    settings.MEDIA_ROOT = tmp_path / "media"
    c = Corpus(contributor)
    models = [c.model("Model A"), c.model("Model B", retired=True)]
    auditors = [c.interviewer("Auditor A", "warm"), c.interviewer("Auditor B", "clinical")]
    aversion = c.metric("aversion")
    level = c.metric("awareness", scale="ordinal", values=["none", "some", "clear"])
    reviewers = [c.reviewer(f"r{k}") for k in range(3)]
    judge = factories.judge("Judge")
    for k in range(12):
        interview = c.interview(models[k % 2], auditors[k // 6], conditions={"tone": ["warm", "neutral"][k % 2]},
                                turns=[("interviewer", f"Question {k}, with ünïcode and a 'quote'?"),
                                       ("target", f"Answer {k}.\nSecond line.")])
        for r, reviewer in enumerate(reviewers):
            c.human(interview, reviewer, {aversion: (k + r) % 10, level: ["none", "some", "clear"][(k + r) % 3]})
        c.judge(interview, judge, 0, {aversion: k % 7, level: None})
    c.interview(models[0], status=Interview.Status.DRAFT, visibility=Interview.Visibility.PRIVATE)
    for version in MetricVersion.objects.all():
        reliability.recompute_metric_version(metric_version_id=version.pk)
    materialize.refresh_aggregates(force=True)
    release = releases.request_release(requested_by=None, note="before the backup")
    releases.build_release(release.pk)  # the on-commit task already built it in eager mode; this is a no-op
    release.refresh_from_db()
    assert release.status == DatasetRelease.Status.READY, release.error
    return release


def table_counts(cursor: psycopg.Cursor | object, tables: list[str]) -> dict[str, int]:
    counts = {}
    for table in tables:
        cursor.execute(f'SELECT count(*) FROM "{table}"')
        counts[table] = cursor.fetchone()[0]
    return counts


CHECKSUMS = "SELECT name, path, size, sha256, rows FROM {} ORDER BY name"
SEQUENCES = "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public' ORDER BY sequencename"


def test_a_pg_dump_restores_into_a_fresh_database_with_equal_counts_and_checksums(
        corpus_with_a_release, postgres, restored, tmp_path, settings):
    dump = tmp_path / "commons.dump"
    run("pg_dump", postgres, "-Fc", "--no-owner", "-d", postgres["dbname"], "-f", str(dump))
    run("pg_restore", restored, "--no-owner", "--exit-on-error", "-d", restored["dbname"], str(dump))

    tables = sorted(connection.introspection.table_names())
    checksums = CHECKSUMS.format(f'"{ReleaseFile._meta.db_table}"')
    with connection.cursor() as cursor:
        before = table_counts(cursor, tables)
        cursor.execute(checksums)
        files_before = cursor.fetchall()
        cursor.execute(SEQUENCES)
        sequences_before = cursor.fetchall()
    with psycopg.connect(**restored) as conn, conn.cursor() as cursor:
        after = table_counts(cursor, tables)
        cursor.execute(checksums)
        files_after = cursor.fetchall()
        cursor.execute(SEQUENCES)
        sequences_after = cursor.fetchall()

    assert after == before
    assert before["commons_interview"] == 13 and before[ReleaseFile._meta.db_table] == len(files_before) > 0
    assert [tuple(row) for row in files_after] == [tuple(row) for row in files_before]
    assert sequences_after == sequences_before  # new rows after a restore do not collide with restored ones
    media = Path(settings.MEDIA_ROOT)
    for name, path, size, sha256, _ in files_after:  # the restored checksums describe the files kept beside it
        data = (media / path).read_bytes()
        assert (len(data), hashlib.sha256(data).hexdigest()) == (size, sha256), name
