"""Withdrawing an interview marks every release holding it: its files answer 410 saying why (issue 10).

A release is never rebuilt in place (its checksums and citation must keep meaning what was
published); the 410 page and JSON point to the newest release without a withdrawn interview.
"""

from __future__ import annotations

import pytest

from commons import services as commons_services
from commons.models import Interview
from reviews.explorer import releases
from reviews.explorer.models import DatasetRelease, ReleaseInterview
from tests import factories
from tests.factories import Corpus

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def corpus(contributor):
    c = Corpus(contributor)
    model = c.model("Model A")
    version = c.metric("aversion")
    judge = factories.judge("Judge One")
    kept = c.interview(model, title="Kept interview")
    leaving = c.interview(model, title="Interview to be withdrawn")
    for interview in (kept, leaving):
        c.judge(interview, judge, 0, {version: 3})
    private = c.interview(model, title="Private", visibility=Interview.Visibility.PRIVATE)
    return {"kept": kept, "leaving": leaving, "private": private}


def build() -> DatasetRelease:
    release = releases.request_release(requested_by=None)
    releases.build_release(release.pk)
    release.refresh_from_db()
    assert release.status == DatasetRelease.Status.READY, release.error
    return release


def file_url(release: DatasetRelease, name: str) -> str:
    return f"/explore/data/{release.version}/{name}"


def test_a_release_records_exactly_the_interviews_it_contains(media, corpus):
    release = build()
    assert set(ReleaseInterview.objects.filter(release=release).values_list("interview_id", flat=True)) == {
        corpus["kept"].pk, corpus["leaving"].pk}


def test_withdrawal_stops_the_download_with_a_410_that_says_why_and_points_to_a_newer_release(
        media, corpus, client, curator):
    first = build()
    bundle = f"research-commons-{first.version}.zip"
    assert client.get(file_url(first, bundle)).status_code == 200
    commons_services.withdraw_interview(interview=corpus["leaving"], actor=curator, reason="Consent withdrawn")

    first.refresh_from_db()
    assert first.contains_withdrawn
    gone = client.get(file_url(first, bundle))
    assert gone.status_code == 410
    page = gone.content.decode()
    assert "withdrawn since it was built" in page and "No release without a withdrawn interview" in page
    for name in ("interviews.csv", "turns.parquet", "SHA256SUMS"):
        assert client.get(file_url(first, name)).status_code == 410, name

    second = build()  # a new version: it leaves the withdrawn interview out
    assert not second.contains_withdrawn
    assert corpus["leaving"].pk not in set(second.interviews.values_list("interview_id", flat=True))
    assert client.get(file_url(second, f"research-commons-{second.version}.zip")).status_code == 200

    as_json = client.get(file_url(first, "interviews.jsonl"), HTTP_ACCEPT="application/json")
    assert as_json.status_code == 410
    body = as_json.json()
    assert body["newest_release_without_withdrawn"] == second.version and "withdrawn" in body["detail"]
    page = client.get(file_url(first, bundle)).content.decode()
    assert f"/explore/data/{second.version}/" in page

    release_page = client.get(f"/explore/data/{first.version}/")
    assert release_page.status_code == 200
    text = release_page.content.decode()
    assert "withdrawn since it was built" in text and "no longer served" in text
    assert f'href="{file_url(first, bundle)}"' not in text  # no download links left
    listing = client.get("/explore/data/").content.decode()
    assert "Contains a withdrawn interview" in listing
    api = {r["version"]: r for r in client.get("/api/v1/patterns/releases/").json()}
    assert api[first.version]["contains_withdrawn_interview"] is True
    assert api[second.version]["contains_withdrawn_interview"] is False


def test_other_releases_and_other_saves_are_left_alone(media, corpus, curator):
    release = build()
    leaving = Interview.objects.get(pk=corpus["leaving"].pk)
    leaving.title = "Renamed"
    leaving.save()
    commons_services.withdraw_interview(interview=corpus["private"], actor=curator, reason="Not in any release")
    release.refresh_from_db()
    assert not release.contains_withdrawn


def test_an_interview_withdrawn_while_the_release_is_built_marks_it_at_once(media, corpus, monkeypatch):
    written = releases.write_tables

    def write_then_withdraw(folder):
        counts = written(folder)
        # a bulk write bypasses the signal: the build itself must notice
        Interview.objects.filter(pk=corpus["leaving"].pk).update(status=Interview.Status.WITHDRAWN)
        return counts

    monkeypatch.setattr(releases, "write_tables", write_then_withdraw)
    release = build()
    assert release.contains_withdrawn
