"""The explorer reads each reviewer's blind value, the one headline agreement reads: a revision made after the
reviewer could see the other reviews changes no explorer number (alpha, means, shares, one reviewer's view),
and releases carry both the blind and the final value, saying which is which.

Expected numbers are computed here from the values the world is built with (means by hand, alpha with the
`krippendorff` package), never from the app's output.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import krippendorff
import numpy as np
import pytest
from django.test import Client

from reviews.explorer import materialize, releases
from reviews.explorer.models import DatasetRelease
from reviews.reliability import services as reliability_services
from reviews.reliability.models import AgreementResult

pytestmark = pytest.mark.django_db

# interview → the three reviewers' (warmth, stance) blind values
BLIND = [[(2, "engages"), (3, "engages"), (2.5, "engages")],
         [(7, "deflects"), (8, "deflects"), (6, "engages")],
         [(1, "engages"), (1.5, "deflects"), (4, "engages")],
         [(5, "engages"), (9, "deflects"), (6, "deflects")]]


def scores(warmth: float, stance: str) -> dict:
    return {"warmth": warmth, "candour": "low", "stance": stance}


def interval_alpha(columns: list[list[float]]) -> float:
    return float(krippendorff.alpha(reliability_data=np.array(columns, dtype=float).T,
                                    level_of_measurement="interval"))


def numbers(client: Client, world) -> dict:
    """What a visitor reads: the warmth metric (overall mean, alpha), the stance shares, one reviewer's mean."""
    metric = client.get("/api/v1/patterns/metrics/warmth/").json()
    stance = client.get("/api/v1/patterns/metrics/stance/").json()
    one = client.get(f"/api/v1/patterns/metrics/warmth/?reviewer={world.reviewer(0).pk}").json()
    return {"mean": metric["overall"]["mean"], "n": metric["overall"]["n"], "alpha": metric["alpha"]["alpha"],
            "stance": [(c["label"], c["share"]) for c in stance["overall"]["cells"]],
            "reviewer_mean": one["overall"]["mean"]}


@pytest.fixture
def world(agreement_world):
    w = agreement_world
    w.made = [w.interview() for _ in BLIND]
    with reliability_services.deferred_recompute():
        for interview, values in zip(w.made, BLIND, strict=True):
            for i, (warmth, stance) in enumerate(values):
                w.review(i, interview, scores(warmth, stance))
    for version in w.versions:
        reliability_services.recompute_metric_version(metric_version_id=version.pk)
    materialize.refresh_aggregates(force=True)
    return w


def revise_after_unblinding(world) -> None:
    """Two reviewers, having seen the others, move their values: nothing the explorer shows may follow."""
    with reliability_services.deferred_recompute():
        world.review(2, world.made[2], scores(1, "deflects"))
        world.review(0, world.made[3], scores(8.5, "deflects"))
    for version in world.versions:
        reliability_services.recompute_metric_version(metric_version_id=version.pk)
    materialize.refresh_aggregates(force=True)


def test_explorer_alpha_means_and_shares_are_of_the_blind_values(world, client):
    before = numbers(client, world)
    means = [sum(v for v, _ in row) / 3 for row in BLIND]
    assert before["n"] == 4 and before["mean"] == pytest.approx(sum(means) / 4, abs=1e-12)
    assert before["alpha"] == pytest.approx(interval_alpha([[v for v, _ in row] for row in BLIND]), abs=1e-9)
    assert before["reviewer_mean"] == pytest.approx(sum(row[0][0] for row in BLIND) / 4, abs=1e-12)

    revise_after_unblinding(world)
    after = numbers(client, world)
    assert after == before
    # The revisions were counted where they belong: the post-discussion figure moved, the headline did not.
    result = AgreementResult.objects.get(metric_version=world.interval, audience="public", slice_type="all")
    assert result.values_revised_after_unblinding == 2 and result.post_discussion_alpha != result.alpha
    newest = [[v for v, _ in row] for row in BLIND]
    newest[2][2], newest[3][0] = 1, 8.5
    page = client.get("/explore/agreement/?metric=warmth").content.decode()
    assert f"post-discussion α {interval_alpha(newest):.3f} (2 values revised after unblinding)" in page
    listed = client.get("/api/v1/patterns/agreement/").json()
    overall = next(s for m in listed["metrics"] for s in m["slices"]
                   if m["metric"]["slug"] == "warmth" and s["slice_type"] == "all")
    assert overall["alpha"] == pytest.approx(before["alpha"], abs=1e-12)
    assert overall["post_discussion_alpha"] == pytest.approx(interval_alpha(newest), abs=1e-9)


def test_the_metric_page_states_that_it_counts_blind_values(world, client):
    page = client.get("/explore/metrics/warmth/").content.decode()
    assert "blind value" in page


def test_releases_carry_the_blind_and_the_final_value(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    revise_after_unblinding(world)
    release = releases.request_release(requested_by=None, note="blind test")
    releases.build_release(release.pk)
    release.refresh_from_db()
    assert release.status == DatasetRelease.Status.READY, release.error
    folder = Path(settings.MEDIA_ROOT) / "releases" / release.version
    rows = [json.loads(line) for line in (folder / "scores.jsonl").read_text().splitlines()]
    warmth = [r for r in rows if r["metric"] == "warmth"]
    revised = {(r["interview_id"], r["value"], r["final_value"]) for r in warmth if r["revised_after_unblinding"]}
    assert revised == {(world.made[2].pk, 4.0, 1.0), (world.made[3].pk, 5.0, 8.5)}
    unchanged = [r for r in warmth if not r["revised_after_unblinding"]]
    assert len(unchanged) == 10 and all(r["value"] == r["final_value"] for r in unchanged)
    stance = {(r["interview_id"], r["label"], r["final_label"]) for r in rows
              if r["metric"] == "stance" and r["revised_after_unblinding"]}
    assert stance == {(world.made[2].pk, "engages", "deflects"), (world.made[3].pk, "engages", "deflects")}
    reviews = {r["review_id"]: r for r in map(json.loads, (folder / "reviews.jsonl").read_text().splitlines())}
    revised_reviews = [r for r in reviews.values() if r["blind_revision"] != r["revision"]]
    assert sorted((r["blind_revision"], r["revision"]) for r in revised_reviews) == [(1, 2), (1, 2)]
    assert all(r["unblinded_at"] for r in revised_reviews)
    with zipfile.ZipFile(next(folder.glob("*.zip"))) as bundle:
        readme = next(bundle.read(n).decode() for n in bundle.namelist() if n.endswith("README.txt"))
    assert "final_value" in readme and "blind value" in readme
