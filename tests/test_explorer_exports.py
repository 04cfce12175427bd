"""Dataset releases: public corpus only, CSV formula injection neutralised, checksums that check out."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from django.conf import settings

from reviews.explorer import releases
from reviews.explorer.models import DatasetRelease
from commons.models import Interview
from tests import factories
from tests.factories import Corpus
from tests.fixtures.mfa import sign_in_with_second_factor

pytestmark = pytest.mark.django_db

HOSTILE = ["=HYPERLINK(\"http://evil.example\",\"click\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
           "\tleading tab", "\rleading return"]


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def corpus(contributor):
    c = Corpus(contributor)
    model = c.model("=cmd|' /C calc'!A0")
    interviewer = c.interviewer("Auditor", "neutral")
    version = c.metric("aversion")
    ordinal = c.metric("level", scale="ordinal", values=["low", "mid", "high"])
    reviewer = c.reviewer("r1")
    judge = factories.judge("Judge One")
    public = c.interview(model, interviewer, title=HOSTILE[0], conditions={"tone": "+warm"}, topics=["@memory"],
                         turns=[("interviewer", HOSTILE[1]), ("target", HOSTILE[2]), ("interviewer", HOSTILE[3]),
                                ("target", HOSTILE[4]), ("interviewer", HOSTILE[5])])
    c.human(public, reviewer, {version: 4, ordinal: "high"}, critique="=1+1 looks fine")
    c.judge(public, judge, 0, {version: None, ordinal: "mid"})
    in_review = c.interview(model, interviewer, status=Interview.Status.IN_REVIEW, title="In review, judged")
    c.human(in_review, reviewer, {version: 9}, critique="BLIND-HUMAN-CRITIQUE")
    c.judge(in_review, judge, 0, {version: 2}, critique="judge note")
    restricted = c.interview(model, interviewer, licence="restricted", title="Restricted licence",
                             turns=[("target", "RESTRICTED-TURN-TEXT")])
    secret = []
    for status, visibility in [(Interview.Status.REVIEWED, Interview.Visibility.PRIVATE),
                               (Interview.Status.WITHDRAWN, Interview.Visibility.PUBLIC),
                               (Interview.Status.DRAFT, Interview.Visibility.PUBLIC),
                               (Interview.Status.REVIEWED, Interview.Visibility.UNLISTED),
                               (Interview.Status.REVIEWED, Interview.Visibility.RESEARCHERS)]:
        hidden = c.interview(model, interviewer, status=status, visibility=visibility, title=f"SECRET-TITLE-{status}",
                             turns=[("target", f"SECRET-TURN-{visibility}")])
        c.human(hidden, reviewer, {version: 7}, critique="SECRET-CRITIQUE")
        secret.append(hidden)
    return {"public": public, "in_review": in_review, "restricted": restricted, "secret": secret}


def build(media) -> DatasetRelease:
    release = releases.request_release(requested_by=None, note="test")
    releases.build_release(release.pk)  # the task also ran on commit in eager mode; building twice is a no-op
    release.refresh_from_db()
    assert release.status == DatasetRelease.Status.READY, release.error
    return release


def release_dir(release: DatasetRelease) -> Path:
    return Path(settings.MEDIA_ROOT) / "releases" / release.version


def test_release_holds_only_the_public_corpus(media, corpus):
    release = build(media)
    folder = release_dir(release)
    everything = b"".join(p.read_bytes() for p in folder.iterdir() if p.suffix != ".zip")
    for marker in (b"SECRET-TITLE", b"SECRET-TURN", b"SECRET-CRITIQUE", b"BLIND-HUMAN-CRITIQUE",
                   b"RESTRICTED-TURN-TEXT"):
        assert marker not in everything, marker
    interviews = [json.loads(line) for line in (folder / "interviews.jsonl").read_text().splitlines()]
    ids = {i["interview_id"] for i in interviews}
    assert ids == {corpus["public"].pk, corpus["in_review"].pk, corpus["restricted"].pk}
    restricted = next(i for i in interviews if i["interview_id"] == corpus["restricted"].pk)
    assert restricted["turns_included"] is False and restricted["licence"] == "restricted"
    reviews = [json.loads(line) for line in (folder / "reviews.jsonl").read_text().splitlines()]
    # both reviews of the interview still in review are blind (its study does not publish judge scores)
    assert {(r["interview_id"], r["kind"]) for r in reviews} == {
        (corpus["public"].pk, "human"), (corpus["public"].pk, "judge")}
    scores = [json.loads(line) for line in (folder / "scores.jsonl").read_text().splitlines()]
    missing = [s for s in scores if s["missing"]]
    assert len(missing) == 1 and missing[0]["value"] is None and missing[0]["missing_reason"] == "cannot judge"
    labels = {s["label"] for s in scores if s["label"]}
    assert labels == {"high", "mid"}
    assert release.counts["interviews"] == 3 and release.counts["turns"] == 5 + 2
    # Parquet holds the same rows and the exact text
    table = pq.read_table(folder / "turns.parquet")
    assert table.num_rows == 7 and HOSTILE[1] in table.column("text").to_pylist()
    assert pq.read_table(folder / "scores.parquet").num_rows == len(scores)


def test_csv_cells_never_start_a_formula(media, corpus):
    release = build(media)
    folder = release_dir(release)
    seen = set()
    for path in folder.glob("*.csv"):
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.reader(handle):
                for cell in row:
                    if cell and cell[0] in "=+-@\t\r":
                        pytest.fail(f"{path.name}: formula-like cell {cell!r}")
                    seen.add(cell)
    for text in HOSTILE:
        assert "'" + text in seen, text  # kept, visibly defused
    assert "'=1+1 looks fine" in seen and "'=cmd|' /C calc'!A0" in seen
    assert json.dumps({"tone": "+warm"}, sort_keys=True) in seen  # JSON text starts with "{": untouched
    assert releases.neutralise(-2.5) == -2.5 and releases.neutralise("plain") == "plain"
    # JSONL keeps the exact text
    turns = [json.loads(line)["text"] for line in (folder / "turns.jsonl").read_text().splitlines()]
    assert HOSTILE[1] in turns and HOSTILE[5] in turns


def test_release_checksums_and_citation(media, corpus):
    release = build(media)
    folder = release_dir(release)
    files = {f.name: f for f in release.files.all()}
    for table in ("interviews", "turns", "reviews", "scores", "agreement", "consensus"):
        for fmt in releases.FORMATS:
            assert f"{table}.{fmt}" in files
    for name, record in files.items():
        data = (folder / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == record.sha256, name
        assert len(data) == record.size
    sums = dict(reversed(line.split("  ", 1)) for line in (folder / "SHA256SUMS").read_text().splitlines())
    for name, digest in sums.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest
    bundle = next(f for f in files.values() if f.format == "zip")
    assert bundle.sha256 in release.citation and release.version in release.citation
    assert (folder / f"{bundle.name}.sha256").read_text().startswith(bundle.sha256)
    with zipfile.ZipFile(folder / bundle.name) as archive:
        names = {Path(n).name for n in archive.namelist()}
        assert {"SHA256SUMS", "README.txt", "manifest.json", "scores.parquet"} <= names
        inner = archive.read(f"research-commons-{release.version}/interviews.csv")
        assert hashlib.sha256(inner).hexdigest() == files["interviews.csv"].sha256
    second = build(media)
    assert second.version != release.version and second.version.endswith("-2")


def test_release_pages_downloads_and_permissions(media, corpus, client, curator, contributor,
                                                 django_capture_on_commit_callbacks):
    response = client.post("/explore/data/new/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(contributor)
    assert client.post("/explore/data/new/").status_code == 403
    client.logout()
    sign_in_with_second_factor(client, curator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/explore/data/new/", {"note": "First public release"})
    assert response.status_code == 302
    release = DatasetRelease.objects.get()
    assert release.status == DatasetRelease.Status.READY  # built by the (in-process) task after commit
    client.logout()
    page = client.get("/explore/data/").content.decode()
    assert release.version in page and "Cite as:" in page
    detail = client.get(f"/explore/data/{release.version}/")
    assert detail.status_code == 200
    record = release.files.get(name="scores.csv")
    download = client.get(f"/explore/data/{release.version}/scores.csv")
    body = b"".join(download.streaming_content)
    assert download.status_code == 200 and hashlib.sha256(body).hexdigest() == record.sha256
    assert download["X-Content-SHA256"] == record.sha256
    assert client.get(f"/explore/data/{release.version}/../../settings.py").status_code == 404
    assert client.get(f"/explore/data/{release.version}/nope.csv").status_code == 404
    api = client.get("/api/v1/patterns/releases/").json()
    assert api[0]["version"] == release.version and {f["name"] for f in api[0]["files"]} >= {"scores.parquet"}


def test_csv_reads_back_as_a_table(media, corpus):
    release = build(media)
    text = (release_dir(release) / "scores.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["missing"] for r in rows} == {"true", "false"}
    assert all(r["value"] == "" for r in rows if r["missing"] == "true")
