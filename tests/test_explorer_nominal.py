"""The nominal-metric page: shares with n and a 95% Wilson interval per model, per interviewer and per model ×
interviewer; the metric's alpha at the top and each interviewer's beside its cells; thin cells marked; page = API.

Shares are computed here from the labels the world is built with; intervals are checked against scipy (Wilson's
interval of `binomtest` for whole counts, and for a fractional count the two roots of the score test it inverts).
"""

from __future__ import annotations

import json
import re

import pytest
from django.utils import timezone
from scipy import optimize
from scipy import stats as scipy_stats

from commons.models import Interview
from reviews.explorer import materialize
from reviews.reliability.models import AgreementResult
from tests.factories import Corpus

pytestmark = pytest.mark.django_db

PAGE, API = "/explore/metrics/ending-shape/", "/api/v1/patterns/metrics/ending-shape/"
LABELS = ["none", "flat", "multiple"]
Z = scipy_stats.norm.ppf(0.975)

# model → interviewer → each interview's labels, one per human reviewer (r1, r2, …)
DESIGN = {
    "A": {"X": [["none"]] * 5 + [["flat"]] * 3, "Y": [["none"], ["multiple"], ["multiple"], ["flat", "multiple"]]},
    "B": {"Y": [["flat"], ["flat"], ["none"]]},
}


@pytest.fixture
def world(contributor):
    c = Corpus(contributor)
    w = type("World", (), {})()
    w.N = c.metric("ending-shape", scale="nominal", values=LABELS)
    w.models = {"A": c.model("Model A"), "B": c.model("Model B")}
    w.interviewers = {"X": c.interviewer("Auditor X", "warm"), "Y": c.interviewer("Auditor Y")}
    reviewers = [c.reviewer("r1"), c.reviewer("r2")]
    for model, by_interviewer in DESIGN.items():
        for who, interviews in by_interviewer.items():
            for labels in interviews:
                interview = c.interview(w.models[model], w.interviewers[who])
                for reviewer, label in zip(reviewers, labels, strict=False):
                    c.human(interview, reviewer, {w.N: label})
    secret = c.interview(w.models["B"], w.interviewers["Y"], visibility=Interview.Visibility.PRIVATE)
    c.human(secret, reviewers[0], {w.N: "multiple"})  # not public: must change nothing
    common = {"metric_version": w.N, "level": "nominal", "inputs_fingerprint": "x" * 64,
              "computed_at": timezone.now(), "n_pairable_values": 2, "n_raters": 2}
    w.overall = AgreementResult.objects.create(audience="public", slice_type="all", slice_value="",
                                               slice_label="All interviews", alpha=0.71, ci_low=0.52, ci_high=0.86,
                                               n_units=40, **common)
    AgreementResult.objects.create(audience="internal", slice_type="all", slice_value="", slice_label="internal",
                                   alpha=0.99, ci_low=0.9, ci_high=1.0, n_units=41, **common)
    w.model_a = AgreementResult.objects.create(audience="public", slice_type="target_model",
                                               slice_value=str(w.models["A"].pk), slice_label="Model A",
                                               alpha=0.8, ci_low=0.6, ci_high=0.9, n_units=12, **common)
    w.x = AgreementResult.objects.create(audience="public", slice_type="interviewer",
                                         slice_value=str(w.interviewers["X"].pk), slice_label="Auditor X (warm)",
                                         alpha=0.43, ci_low=0.21, ci_high=0.64, n_units=8, **common)  # under 30: a small sample
    materialize.refresh_aggregates()
    return w


def expected(cells: list[list[list[str]]]) -> tuple[int, list[float]]:
    """n interviews and each label's share: an interview's share is the fraction of its reviewers giving the label."""
    interviews = [labels for group in cells for labels in group]
    return len(interviews), [sum(labels.count(label) / len(labels) for labels in interviews) / len(interviews)
                             for label in LABELS]


def wilson(successes: float, n: int) -> tuple[float, float]:
    """95% Wilson interval from scipy: binomtest's for whole counts, else the score test's roots."""
    if float(successes).is_integer():
        ci = scipy_stats.binomtest(int(successes), n).proportion_ci(confidence_level=0.95, method="wilson")
        return ci.low, ci.high
    share = successes / n

    def score(p: float) -> float:
        return (share - p) ** 2 - Z * Z * p * (1 - p) / n

    return optimize.brentq(score, 1e-12, share), optimize.brentq(score, share, 1 - 1e-12)


def assert_cells(row: dict, n: int, shares: list[float]) -> None:
    assert row["n"] == n
    for cell, label, share in zip(row["cells"], LABELS, shares, strict=True):
        low, high = wilson(share * n, n)
        assert cell["label"] == label and cell["n"] == n
        assert cell["share"] == pytest.approx(share, abs=1e-12)
        assert (cell["ci_low"], cell["ci_high"]) == pytest.approx((low, high), abs=1e-9)


def page_and_api(client, query: str = "") -> tuple[dict, str]:
    page = client.get(f"{PAGE}?{query}")
    assert page.status_code == 200
    data = page.context["data"]
    assert json.loads(json.dumps(data)) == client.get(f"{API}?{query}").json()
    return data, page.content.decode()


def row_html(html: str, table_id: str, name: str) -> str:
    table = html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    return next(row for row in re.split(r"<tr[ >]", table) if name in row)


def test_shares_and_wilson_intervals_per_model_and_in_total(world, client):
    data, html = page_and_api(client)
    assert data["nominal"] is True and data["labels"] == LABELS
    rows = {r["model"]["name"]: r for r in data["shares"]}
    assert list(rows) == ["Model A", "Model B"]
    assert_cells(rows["Model A"], *expected(list(DESIGN["A"].values())))  # multiple: 2.5 of 12, a fractional count
    assert_cells(rows["Model B"], *expected(list(DESIGN["B"].values())))
    assert_cells(data["overall"], *expected([g for by in DESIGN.values() for g in by.values()]))
    shown = row_html(html, "share-table", "Model A")
    assert "50%" in shown and "[25%–75%]" in shown  # none: 6 of 12, Wilson [0.254, 0.746]


def test_per_interviewer_cells_with_their_alpha(world, client):
    data, html = page_and_api(client)
    groups = {g["interviewer"]["name"]: g for g in data["by_interviewer"]}
    assert list(groups) == ["Auditor X", "Auditor Y"]
    assert_cells(groups["Auditor X"]["all"], *expected([DESIGN["A"]["X"]]))
    assert_cells(groups["Auditor Y"]["all"], *expected([DESIGN["A"]["Y"], DESIGN["B"]["Y"]]))
    y_rows = {r["model"]["name"]: r for r in groups["Auditor Y"]["rows"]}
    assert_cells(y_rows["Model A"], *expected([DESIGN["A"]["Y"]]))
    assert_cells(y_rows["Model B"], *expected([DESIGN["B"]["Y"]]))
    assert [r["model"]["name"] for r in groups["Auditor X"]["rows"]] == ["Model A"]
    x = groups["Auditor X"]
    assert (x["alpha"]["alpha"], x["alpha"]["ci_low"], x["alpha"]["ci_high"], x["alpha"]["units"]) == \
        (world.x.alpha, world.x.ci_low, world.x.ci_high, world.x.n_units)
    assert x["all"]["alpha"] == x["alpha"] and all(r["alpha"] == x["alpha"] for r in x["rows"])
    assert "low_agreement" in x["all"]["flags"]  # 0.43 is below the 0.667 threshold
    assert groups["Auditor Y"]["alpha"] is None and "no_agreement" in groups["Auditor Y"]["all"]["flags"]
    table = html.split('id="interviewer-table"', 1)[1].split("</table>", 1)[0]
    x_html, y_html = table.split("Auditor Y", 1)
    assert "α 0.43" in x_html and "[0.21, 0.64]" in x_html and "8 interviews" in x_html and "small sample" in x_html
    assert "—" in y_html.split("</th>", 1)[0]  # no alpha stored for Y


def test_the_metric_alpha_at_the_top_is_the_stored_public_result(world, client):
    data, html = page_and_api(client)
    assert data["alpha"]["alpha"] == world.overall.alpha  # public, never the internal 0.99
    assert (data["alpha"]["ci_low"], data["alpha"]["ci_high"], data["alpha"]["units"]) == (0.52, 0.86, 40)
    top = html.split('id="metric-alpha"', 1)[1].split("</div>", 1)[0]
    assert "α 0.71" in top and "[0.52, 0.86]" in top and "40 interviews" in top
    rows = {r["model"]["name"]: r for r in data["shares"]}
    assert rows["Model A"]["alpha"]["alpha"] == world.model_a.alpha
    assert "α 0.80" in row_html(html, "share-table", "Model A")
    assert rows["Model B"]["alpha"] == data["alpha"]  # no Model B slice stored: all interviews', as numeric pages
    assert "0.99" not in html


def test_thin_cells_are_marked_below_the_threshold(world, client, settings):
    settings.EXPLORER_MIN_INTERVIEWS = 12  # Model A has 12 interviews: at the threshold, not thin
    data, html = page_and_api(client)
    rows = {r["model"]["name"]: r for r in data["shares"]}
    assert "few" not in rows["Model A"]["flags"] and "few" in rows["Model B"]["flags"]
    assert "mark-few" not in row_html(html, "share-table", "Model A")
    model_b = row_html(html, "share-table", "Model B")
    assert "mark-few" in model_b and model_b.count("is-few") == 1 + len(LABELS)  # the row and each share cell
    assert "one_interviewer" in rows["Model B"]["flags"]  # all of B's interviews are Auditor Y's
    settings.EXPLORER_MIN_INTERVIEWS = 13
    data, html = page_and_api(client)
    assert "few" in data["shares"][0]["flags"] and "mark-few" in row_html(html, "share-table", "Model A")


def test_filters_reach_the_shares_and_the_api_matches(world, client):
    y = world.interviewers["Y"].pk
    data, _ = page_and_api(client, f"interviewer={y}")
    rows = {r["model"]["name"]: r for r in data["shares"]}
    assert_cells(rows["Model A"], *expected([DESIGN["A"]["Y"]]))
    assert [g["interviewer"]["name"] for g in data["by_interviewer"]] == ["Auditor Y"]
    drill = client.get(rows["Model A"]["drilldown"])
    assert drill.status_code == 200 and drill.context["data"]["count"] == 4
