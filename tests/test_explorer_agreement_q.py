"""Krippendorff's q (the bootstrap probability that alpha is below 0.667 and 0.800) and the small-sample mark beside
every alpha of the explorer's agreement page, in its API, and beside the metric pages' headline alpha."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from reviews.explorer import materialize
from reviews.reliability.models import AgreementResult
from tests.factories import Corpus

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(contributor):
    c = Corpus(contributor)
    version = c.metric("warmth", scale="interval")
    model = c.model("Model A")
    interviewer = c.interviewer("Auditor X")
    reviewers = [c.reviewer("r1"), c.reviewer("r2")]
    for value in (2, 5, 7):
        interview = c.interview(model, interviewer)
        for reviewer in reviewers:
            c.human(interview, reviewer, {version: value})
    common = {"metric_version": version, "level": "interval", "inputs_fingerprint": "x" * 64,
              "computed_at": timezone.now(), "n_pairable_values": 6, "n_raters": 2, "audience": "public"}
    overall = AgreementResult.objects.create(slice_type="all", slice_value="", slice_label="All interviews",
                                             alpha=0.74, ci_low=0.55, ci_high=0.88, q_below_667=0.213,
                                             q_below_800=0.671, n_units=12, **common)
    humans = AgreementResult.objects.create(slice_type="reviewer_kind", slice_value="human", slice_label="Humans",
                                            alpha=0.91, ci_low=0.85, ci_high=0.95, q_below_667=0.0,
                                            q_below_800=0.004, n_units=40, **common)
    materialize.refresh_aggregates(force=True)
    return overall, humans


def row_of(html: str, label: str) -> str:
    return next(row for row in html.split("<tr") if label in row)


def test_the_agreement_page_shows_q_and_the_small_sample_mark_beside_each_alpha(world, client):
    html = client.get("/explore/agreement/").content.decode()
    summary = html.split("<summary>", 1)[1].split("</summary>", 1)[0]
    text = re.sub(r"<[^>]+>", "", summary)
    assert "P(α&lt;.667) 0.21 · P(α&lt;.800) 0.67" in text and "small sample" in text
    assert "P(α&lt;.667) 0.00 · P(α&lt;.800) 0.00" in text  # the humans' headline
    small = row_of(html, "All interviews")
    assert "0.21 · 0.67" in small and "small sample" in small
    large = row_of(html, "Humans")  # (table cells: plain text)
    assert "0.00 · 0.00" in large and "small sample" not in large


def test_the_api_carries_q_and_the_mark_where_it_carries_alpha(world, client):
    body = client.get("/api/v1/patterns/agreement/").json()
    slices = {s["slice_label"]: s for m in body["metrics"] for s in m["slices"]}
    assert (slices["All interviews"]["q_below_667"], slices["All interviews"]["q_below_800"]) == (0.213, 0.671)
    assert slices["All interviews"]["small_sample"] is True and slices["Humans"]["small_sample"] is False
    metric = client.get("/api/v1/patterns/metrics/warmth/").json()
    assert metric["alpha"]["q_below_667"] == 0.213 and metric["alpha"]["small_sample"] is True


def test_the_metric_page_headline_alpha_has_its_q(world, client):
    html = client.get("/explore/metrics/warmth/").content.decode()
    stat = re.search(r'<div class="stat"><span class="num">α 0\.74</span>(.*?)</div>', html, re.S)
    assert stat and "P(α&lt;.667) 0.21" in stat.group(1) and "small sample" in stat.group(1)
