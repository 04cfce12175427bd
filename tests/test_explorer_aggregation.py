"""The explorer's numbers: consensus per interview, cells, filters, visibility, versions, drill-down, API = page."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.urls import reverse

from reviews.explorer import materialize, selectors
from reviews.explorer.filters import Filters, parse_filters
from reviews.explorer.models import InterviewConsensus, Snapshot
from commons.models import Interview
from tests import factories
from tests.factories import Corpus
from tests.fixtures.db import other_connection

pytestmark = pytest.mark.django_db

OVERVIEW = "/explore/"
API_OVERVIEW = "/api/v1/patterns/overview/"


@pytest.fixture
def world(contributor):
    """Three models, three interviewers (two share a name), one interval metric, two judges, three reviewers."""
    c = Corpus(contributor)
    w = type("World", (), {})()
    w.c = c
    w.A = c.model("Model A", release_date=date(2024, 1, 1))
    w.B = c.model("Model B", release_date=date(2024, 6, 1), retired=True)
    w.C = c.model("Model C")
    w.I1 = c.interviewer("Auditor X", "warm")
    w.I2 = c.interviewer("Auditor X", "cold")
    w.I3 = c.interviewer("Auditor Y")
    w.M = c.metric("aversion", maximum=10)
    w.J1, w.J2 = factories.judge("Judge One"), factories.judge("Judge Two")
    w.r1, w.r2, w.r3 = (c.reviewer(k) for k in ("r1", "r2", "r3"))
    w.S = c.study("study-s", {"tone": ["warm", "cold"]})
    M = w.M
    w.a1 = c.interview(w.A, w.I1, conditions={"tone": "warm", "depth": "full"}, topics=["memory"],
                       conducted_on=date(2025, 1, 10), title="a1")
    c.human(w.a1, w.r1, {M: 2})
    c.human(w.a1, w.r2, {M: 4})
    c.judge(w.a1, w.J1, 0, {M: 3})
    c.judge(w.a1, w.J1, 1, {M: 5})
    c.judge(w.a1, w.J1, 2, {M: None})  # a replicate that did not reach the topic: left out, not zero
    w.a2 = c.interview(w.A, w.I3, conditions={"tone": "cold", "depth": "none"}, topics=["deprecation"],
                       conducted_on=date(2025, 2, 10), study=w.S, title="a2")
    c.human(w.a2, w.r1, {M: 6})
    c.human(w.a2, w.r3, {M: None})
    c.judge(w.a2, w.J2, 0, {M: 8})
    # Judge scores of an interview in review count only where its study publishes them (issue 10).
    w.P = c.study("published-corpus", judge_scores_public=True)
    w.a3 = c.interview(w.A, w.I1, conditions={"tone": "warm", "depth": "none"}, conducted_on=date(2025, 3, 1),
                       status=Interview.Status.IN_REVIEW, title="a3", study=w.P)
    c.human(w.a3, w.r2, {M: 10})  # blind until the interview is reviewed: never counted yet
    c.judge(w.a3, w.J1, 0, {M: 1})
    w.b1 = c.interview(w.B, w.I2, conditions={"tone": "cold"}, title="b1")
    c.human(w.b1, w.r1, {M: None})
    c.human(w.b1, w.r2, {M: None})
    w.b2 = c.interview(w.B, w.I2, conditions={"tone": "warm"}, title="b2")
    c.human(w.b2, w.r3, {M: 5})
    w.hidden = []
    for status, visibility in [(Interview.Status.REVIEWED, Interview.Visibility.PRIVATE),
                               (Interview.Status.WITHDRAWN, Interview.Visibility.PUBLIC),
                               (Interview.Status.DRAFT, Interview.Visibility.PUBLIC),
                               (Interview.Status.REVIEWED, Interview.Visibility.UNLISTED),
                               (Interview.Status.REVIEWED, Interview.Visibility.RESEARCHERS)]:
        hidden = c.interview(w.A, w.I1, status=status, visibility=visibility, title=f"SECRET {status} {visibility}",
                             conditions={"tone": "warm"})
        c.human(hidden, w.r1, {M: 10})
        c.judge(hidden, w.J1, 0, {M: 10})
        w.hidden.append(hidden)
    return w


@pytest.fixture
def client(client):
    """Pages read what the background job built, and the builders write around the services that would
    trigger it; so the job catches up before each request, as it does seconds after a real write."""
    get = client.get

    def get_after_refresh(*args, **kwargs):
        materialize.refresh_aggregates()
        return get(*args, **kwargs)

    client.get = get_after_refresh
    return client


def overview_cell(data: dict, version_id: int, model_id: int) -> dict | None:
    row = next((r for r in data["rows"] if r["metric"]["id"] == version_id), None)
    if row is None:
        return None
    index = next((k for k, m in enumerate(data["models"]) if m["id"] == model_id), None)
    return None if index is None else row["cells"][index]


def overview(query: str = "", *, refresh: bool = True) -> dict:
    from django.http import QueryDict

    parsed = parse_filters(QueryDict(query))
    assert not parsed.errors, parsed.errors
    if refresh:
        materialize.refresh_aggregates()  # see the client fixture
    return selectors.overview(parsed.filters)


def test_consensus_per_interview_counts_each_rater_once(world):
    materialize.refresh_aggregates()
    rows = {(r.interview_id, r.scope): r for r in InterviewConsensus.objects.filter(metric_version_id=world.M.pk)}
    # a1: humans 2 and 4; Judge One's replicates 3, 5 (and one missing) average to 4 → (2 + 4 + 4) / 3
    assert rows[(world.a1.pk, "all")].value == pytest.approx(10 / 3)
    assert rows[(world.a1.pk, "all")].raters == 3
    assert rows[(world.a1.pk, "human")].value == pytest.approx(3)
    assert rows[(world.a1.pk, "judge")].value == pytest.approx(4)
    # a2: one human said "cannot judge": left out, not zero
    assert rows[(world.a2.pk, "human")].value == pytest.approx(6)
    assert rows[(world.a2.pk, "human")].raters == 1 and rows[(world.a2.pk, "human")].assessed_by == 2
    assert rows[(world.a2.pk, "all")].value == pytest.approx(7)
    # a3 is in review: its human review is still blind, the judge counts
    assert rows[(world.a3.pk, "all")].value == pytest.approx(1)
    assert (world.a3.pk, "human") not in rows
    # b1: everyone missing → assessed, no value
    assert rows[(world.b1.pk, "all")].value is None and rows[(world.b1.pk, "all")].assessed_by == 2
    assert not InterviewConsensus.objects.filter(interview_id__in=[h.pk for h in world.hidden]).exists()


def test_overview_cells_mean_ci_n_and_models_in_release_order(world):
    data = overview()
    assert [m["name"] for m in data["models"]] == ["Model A", "Model B"]  # C has no interviews
    assert data["models"][1]["retired"] is True
    a = overview_cell(data, world.M.pk, world.A.pk)
    assert a["n"] == 3
    assert a["mean"] == pytest.approx((10 / 3 + 7 + 1) / 3)
    assert a["ci_low"] <= a["mean"] <= a["ci_high"]
    assert a["interviewers"] == 2
    b = overview_cell(data, world.M.pk, world.B.pk)
    assert b["n"] == 1 and b["mean"] == pytest.approx(5) and b["ci_low"] is None
    assert "few" in b["flags"] and "one_interviewer" in b["flags"] and "no_agreement" in b["flags"]
    assert a["interviewer_names"] == 2
    assert set(a["flags"]) == {"few", "no_agreement"}


def test_one_interviewer_means_one_name_whatever_its_stances(world):
    """Still Alive records each auditor × tone as its own interviewer row; the mark counts auditors."""
    extra = world.c.interview(world.A, world.I2, conditions={"tone": "cold"}, title="a4")
    world.c.human(extra, world.r1, {world.M: 4})
    data = overview(f"interviewer={world.I1.pk}&interviewer={world.I2.pk}")
    a = overview_cell(data, world.M.pk, world.A.pk)
    assert a["interviewers"] == 2 and a["interviewer_names"] == 1  # "Auditor X", warm and cold
    assert "one_interviewer" in a["flags"]
    both = overview_cell(overview(), world.M.pk, world.A.pk)
    assert both["interviewer_names"] == 2 and "one_interviewer" not in both["flags"]


@pytest.mark.parametrize(("query", "expected_a", "expected_b"), [
    ("raters=human", [3, 6], [5]),
    ("raters=judge", [4, 8, 1], None),
    ("raters=judge&judge={J1}", [4, 1], None),
    ("judge={J2}", [8], None),
    ("reviewer={r1}", [2, 6], None),
    ("raters=human&reviewer={r3}", None, [5]),
    ("interviewer={I1}", [10 / 3, 1], None),
    ("interviewer={I1}&interviewer={I3}", [10 / 3, 7, 1], None),
    ("cond.tone=warm", [10 / 3, 1], [5]),
    ("cond.tone=warm&cond.depth=none", [1], None),
    ("cond.tone=warm&cond.tone=cold", [10 / 3, 7, 1], [5]),
    ("topic=memory", [10 / 3], None),
    ("from=2025-02-01", [7, 1], None),
    ("from=2025-01-01&to=2025-02-10", [10 / 3, 7], [5]),
    ("study={S}", [7], None),
    ("study={S}&raters=human", [6], None),
    ("interviewer={I1}&cond.tone=warm&from=2025-02-01&raters=judge", [1], None),
    ("cond.tone=nonexistent", None, None),
])
def test_filter_combinations(world, query, expected_a, expected_b):
    query = query.format(J1=world.J1.pk, J2=world.J2.pk, r1=world.r1.pk, r3=world.r3.pk, I1=world.I1.pk,
                         I3=world.I3.pk, S=world.S.pk)
    data = overview(query)
    for model, expected in ((world.A, expected_a), (world.B, expected_b)):
        cell = overview_cell(data, world.M.pk, model.pk)
        if expected is None:
            assert cell is None or cell["n"] == 0
        else:
            assert cell["n"] == len(expected), query
            assert cell["mean"] == pytest.approx(sum(expected) / len(expected)), query
    # the page under the same URL shows exactly these numbers
    from django.test import Client

    page = Client().get(f"{OVERVIEW}?{query}")
    assert page.status_code == 200
    assert page.context["data"] == data


def test_empty_slices_render_and_serve_empty(world, client):
    query = "topic=nothing-like-this"
    page = client.get(f"{OVERVIEW}?{query}")
    assert page.status_code == 200 and "No interview in this view" in page.content.decode()
    api = client.get(f"{API_OVERVIEW}?{query}").json()
    assert api["rows"] == [] and api["models"] == []
    metric = client.get(f"/explore/metrics/aversion/?{query}")
    assert metric.status_code == 200 and "No interview in this view has a value" in metric.content.decode()
    for path in ("/explore/coverage/", "/explore/agreement/"):
        assert client.get(f"{path}?{query}").status_code == 200
    drill = client.get(f"/explore/interviews/?metric_version={world.M.pk}&{query}")
    assert drill.status_code == 200 and drill.context["data"]["count"] == 0


def test_bad_filters_are_400_with_field_errors(world, client):
    page = client.get(f"{OVERVIEW}?study=abc&raters=robots&from=2025-13-01&cond.__x=1")
    assert page.status_code == 400
    assert {"study", "raters", "from", "cond.__x"} <= set(page.context["filter_errors"])
    api = client.get(f"{API_OVERVIEW}?study=abc&judge={world.J1.pk}&reviewer={world.r1.pk}")
    assert api.status_code == 400
    assert set(api.json()) == {"study", "reviewer"}
    unknown = client.get(f"{API_OVERVIEW}?study=99999&interviewer=99998&judge=99997")
    assert unknown.status_code == 400 and set(unknown.json()) == {"study", "interviewer", "judge"}
    assert "There is no interviewer 99998." in unknown.json()["interviewer"]
    assert client.get("/api/v1/patterns/interviews/").status_code == 400  # which metric version?
    assert client.get("/explore/metrics/no-such-metric/").status_code == 404
    assert client.get("/explore/metrics/aversion/?version=7").status_code == 404


@pytest.mark.parametrize("factor", ["isnull", "contains", "contained_by", "exact", "gt", "has_key", "regex"])
def test_factor_names_that_are_lookup_words_name_a_factor(world, client, factor):
    """A factor called like a Django lookup still names a key (matching nothing here), never a lookup or a 500."""
    paths = [f"{OVERVIEW}?cond.{factor}=1", f"{API_OVERVIEW}?cond.{factor}=1",
             f"/explore/metrics/aversion/?cond.{factor}=1", f"/api/v1/patterns/metrics/aversion/?cond.{factor}=1",
             f"/explore/interviews/?metric_version={world.M.pk}&at.cond.{factor}=1",
             f"/api/v1/patterns/interviews/?metric_version={world.M.pk}&at.cond.{factor}=1"]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
    drill = client.get(f"/api/v1/patterns/interviews/?metric_version={world.M.pk}&at.cond.{factor}=1").json()
    assert drill["count"] == 0
    assert client.get(f"{API_OVERVIEW}?cond.{factor}=1").json()["rows"] == []


def test_visibility_nothing_hidden_is_counted_drilled_or_listed(world, client):
    hidden_ids = {h.pk for h in world.hidden}
    data = overview()
    assert overview_cell(data, world.M.pk, world.A.pk)["n"] == 3
    drill = client.get(f"/api/v1/patterns/interviews/?metric_version={world.M.pk}&at.model={world.A.pk}").json()
    assert {i["id"] for i in drill["interviews"]} == {world.a1.pk, world.a2.pk, world.a3.pk}
    assert not hidden_ids & {i["id"] for i in drill["interviews"]}
    coverage = selectors.coverage(Filters())
    counted = sum(row["assessed"] for row in coverage["rows"])
    assert counted == 5  # a1, a2, a3, b1, b2
    for judge_view in (f"judge={world.J1.pk}", f"reviewer={world.r1.pk}"):
        drill = client.get(f"/api/v1/patterns/interviews/?metric_version={world.M.pk}&{judge_view}").json()
        assert not hidden_ids & {i["id"] for i in drill["interviews"]}
    body = client.get(f"/explore/interviews/?metric_version={world.M.pk}&at.model={world.A.pk}").content.decode()
    assert "SECRET" not in body


def test_withdrawal_is_never_counted_even_before_the_refresh(world, monkeypatch, curator, settings):
    from commons import services

    materialize.refresh_aggregates()
    assert Snapshot.objects.exists()
    # The refresh job has not run since: the snapshot is stale, and must not be used.
    monkeypatch.setattr("reviews.explorer.refresh.request_refresh", lambda: None)
    assert overview_cell(overview(refresh=False), world.M.pk, world.A.pk)["n"] == 3
    services.withdraw_interview(interview=Interview.objects.get(pk=world.a2.pk), actor=curator, reason="Test")
    data = overview(refresh=False)
    assert data["materialized"] is False
    cell = overview_cell(data, world.M.pk, world.A.pk)
    assert cell["n"] == 2 and cell["mean"] == pytest.approx((10 / 3 + 1) / 2)
    # A bulk UPDATE bypasses the model: seen once the few-second fingerprint cache lapses (here: at once).
    settings.EXPLORER_PUBLIC_FINGERPRINT_SECONDS = 0
    Interview.objects.filter(pk=world.a1.pk).update(visibility=Interview.Visibility.PRIVATE)
    assert overview_cell(overview(refresh=False), world.M.pk, world.A.pk)["n"] == 1


def test_snapshot_and_live_computation_agree(world, monkeypatch):
    # The two computations compared, not the whole-page cache above them (its keys cannot see a monkeypatch).
    monkeypatch.setattr(selectors, "cached_page", lambda key, compute: compute())
    materialize.refresh_aggregates()
    materialized = overview()
    assert materialized["materialized"] is True
    monkeypatch.setattr(Snapshot.objects, "filter", lambda **kw: Snapshot.objects.none())
    live = overview()
    assert live["materialized"] is False
    assert live["rows"] == materialized["rows"]
    for raters in ("human", "judge"):
        monkeypatch.undo()
        monkeypatch.setattr(selectors, "cached_page", lambda key, compute: compute())
        snap = overview(f"raters={raters}")
        monkeypatch.setattr(Snapshot.objects, "filter", lambda **kw: Snapshot.objects.none())
        assert overview(f"raters={raters}")["rows"] == snap["rows"]


def test_refresh_is_idempotent_and_claimed(world):
    assert materialize.refresh_aggregates() == materialize.Outcome.DONE
    assert materialize.refresh_aggregates() == materialize.Outcome.UNCHANGED
    world.c.human(world.b2, world.r1, {world.M: 7})
    assert not materialize.is_current()
    assert materialize.refresh_aggregates() == materialize.Outcome.DONE
    assert InterviewConsensus.objects.get(interview_id=world.b2.pk, scope="all").value == pytest.approx(6)
    from django.utils import timezone

    from reviews.explorer.models import RefreshState

    from commons import locks

    if locks.has_advisory_locks():  # PostgreSQL: the claim is an advisory lock held by a running refresh
        with other_connection() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [locks.lock_key(materialize.REFRESH_LOCK)])
            assert materialize.refresh_aggregates(force=True) == materialize.Outcome.BUSY
    else:
        RefreshState.objects.filter(pk=1).update(running_since=timezone.now())
        assert materialize.refresh_aggregates(force=True) == materialize.Outcome.BUSY


def test_metric_version_change_is_never_pooled(world, client):
    c = world.c
    M2 = c.metric("aversion", number=2, maximum=5)
    for value in (1, 2):
        interview = c.interview(world.A, world.I3, title=f"v2 {value}")
        c.human(interview, world.r1, {M2: value})
    c.human(world.b2, world.r1, {M2: 5})  # b2 scored under both versions, by different reviews
    data = overview()
    assert {r["metric"]["id"] for r in data["rows"]} == {world.M.pk, M2.pk}
    v1 = overview_cell(data, world.M.pk, world.A.pk)
    v2 = overview_cell(data, M2.pk, world.A.pk)
    assert v1["n"] == 3 and v1["mean"] == pytest.approx((10 / 3 + 7 + 1) / 3)
    assert v2["n"] == 2 and v2["mean"] == pytest.approx(1.5)
    assert overview_cell(data, world.M.pk, world.B.pk)["mean"] == pytest.approx(5)
    assert overview_cell(data, M2.pk, world.B.pk)["mean"] == pytest.approx(5)
    latest = client.get("/explore/metrics/aversion/").context["data"]
    assert latest["metric"]["version"] == 2 and latest["overall"]["n"] == 3
    assert [v["number"] for v in latest["versions"]] == [1, 2]
    old = client.get("/explore/metrics/aversion/?version=1").context["data"]
    assert old["metric"]["version"] == 1 and old["overall"]["n"] == 4
    drill = client.get(f"/api/v1/patterns/interviews/?metric_version={M2.pk}").json()
    assert drill["count"] == 3


def test_metric_page_interviewer_columns_ranks_and_conditions(world, client):
    data = client.get("/explore/metrics/aversion/?columns=each").context["data"]
    assert data["columns"] == "each"
    labels = [c["label"] for c in data["interviewer_columns"]]
    assert labels == ["Auditor X", "Auditor X", "Auditor Y"]
    row_a = next(r for r in data["rows"] if r["model"]["id"] == world.A.pk)
    i1 = [c["key"] for c in data["interviewer_columns"]].index(str(world.I1.pk))
    assert row_a["by_interviewer"][i1]["n"] == 2
    assert row_a["by_interviewer"][i1]["mean"] == pytest.approx((10 / 3 + 1) / 2)
    assert row_a["by_interviewer"][i1]["rank"] == 1
    pooled = client.get("/explore/metrics/aversion/").context["data"]
    assert pooled["columns"] == "name"  # "Auditor X" has two stances
    assert [c["label"] for c in pooled["interviewer_columns"]] == ["Auditor X", "Auditor Y"]
    row_b = next(r for r in pooled["rows"] if r["model"]["id"] == world.B.pk)
    assert row_b["by_interviewer"][0]["n"] == 1 and row_b["by_interviewer"][1] is None
    tone = next(f for f in data["factors"] if f["factor"] == "tone")
    assert tone["levels"] == ["warm", "cold"]  # in the order study S declares them
    tone_a = next(r for r in tone["rows"] if r["model"]["id"] == world.A.pk)
    assert tone_a["cells"][1]["mean"] == pytest.approx(7) and tone_a["cells"][0]["n"] == 2
    # model A: warm came from Auditor X only, cold from Auditor Y only: the tone effect is confounded
    assert tone_a["interviewers_varying"] == 0 and tone_a["one_interviewer"] is True
    tone_b = next(r for r in tone["rows"] if r["model"]["id"] == world.B.pk)
    assert tone_b["levels_present"] == 1 and tone_b["one_interviewer"] is False  # b1 (cold) has no value at all
    extra = world.c.interview(world.A, world.I3, conditions={"tone": "warm"}, title="a4")
    world.c.human(extra, world.r1, {world.M: 5})
    tone = next(f for f in client.get("/explore/metrics/aversion/?columns=each").context["data"]["factors"]
                if f["factor"] == "tone")
    tone_a = next(r for r in tone["rows"] if r["model"]["id"] == world.A.pk)
    assert tone_a["interviewers_varying"] == 1  # Auditor Y now asked at both levels
    assert "1 interviewer" in client.get("/explore/metrics/aversion/?columns=each").content.decode()
    assert data["two_way"] and data["two_way"][0]["factors"] == ["depth", "tone"]
    assert data["coverage"] == {"assessed": 5, "missing": 1, "share_missing": 0.2,
                                "drilldown_missing": data["coverage"]["drilldown_missing"]}


def test_drilldown_lists_exactly_the_interviews_behind_a_cell(world, client):
    data = overview()
    cell = overview_cell(data, world.M.pk, world.A.pk)
    page = client.get(cell["drilldown"])
    assert page.status_code == 200
    listed = page.context["data"]["interviews"]
    assert len(listed) == cell["n"] == page.context["data"]["count"]
    assert [i["consensus"] for i in listed] == pytest.approx([7, 10 / 3, 1])  # highest first
    body = page.content.decode()
    for interview in (world.a1, world.a2, world.a3):
        assert f'href="{interview.get_absolute_url()}"' in body
    assert client.get(world.a1.get_absolute_url()).status_code == 200
    missing = client.get(f"/explore/interviews/?metric_version={world.M.pk}&missing=1").context["data"]
    assert [i["id"] for i in missing["interviews"]] == [world.b1.pk]
    metric = client.get("/explore/metrics/aversion/?columns=name").context["data"]
    tone = next(f for f in metric["factors"] if f["factor"] == "tone")
    warm_a = next(r for r in tone["rows"] if r["model"]["id"] == world.A.pk)["cells"][0]
    ids = {i["id"] for i in client.get(warm_a["drilldown"]).context["data"]["interviews"]}
    assert ids == {world.a1.pk, world.a3.pk}
    pooled = next(r for r in metric["rows"] if r["model"]["id"] == world.B.pk)["by_interviewer"][0]
    assert {i["id"] for i in client.get(pooled["drilldown"]).context["data"]["interviews"]} == {world.b2.pk}


def test_drilldown_paginates(world, client, settings):
    for n in range(60):
        interview = world.c.interview(world.C, world.I3, title=f"many {n}")
        world.c.human(interview, world.r1, {world.M: n % 10})
    first = client.get(f"/explore/interviews/?metric_version={world.M.pk}&at.model={world.C.pk}").context["data"]
    assert first["count"] == 60 and len(first["interviews"]) == 50 and first["pages"] == 2
    second = client.get(f"/explore/interviews/?metric_version={world.M.pk}&at.model={world.C.pk}&page=2")
    assert len(second.context["data"]["interviews"]) == 10


def test_api_serves_exactly_the_page_numbers(world, client):
    for page_url, api_url in [
        (OVERVIEW, API_OVERVIEW),
        ("/explore/metrics/aversion/", "/api/v1/patterns/metrics/aversion/"),
        ("/explore/coverage/", "/api/v1/patterns/coverage/"),
        ("/explore/agreement/", "/api/v1/patterns/agreement/"),
    ]:
        for query in ("", f"raters=human&interviewer={world.I1.pk}&interviewer={world.I3.pk}",
                      f"judge={world.J1.pk}", "cond.tone=warm&from=2025-01-05"):
            page = client.get(f"{page_url}?{query}")
            api = client.get(f"{api_url}?{query}")
            assert page.status_code == api.status_code == 200
            assert json.loads(json.dumps(page.context["data"])) == api.json(), (page_url, query)
    body = client.get(OVERVIEW).content.decode()
    cell = overview_cell(overview(), world.M.pk, world.A.pk)
    assert f'{cell["mean"]:.2f}' in body and f'[{cell["ci_low"]:.2f}, {cell["ci_high"]:.2f}]' in body


def test_pages_are_public_and_explain_themselves(world, client):
    for url in (OVERVIEW, "/explore/metrics/aversion/", "/explore/coverage/", "/explore/agreement/",
                reverse("explorer:data"), f"/explore/interviews/?metric_version={world.M.pk}"):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert "How these numbers are made" in body or url == reverse("explorer:data")
        assert "<style" not in body and ' style="' not in body
        assert "default-src 'self'" in response["Content-Security-Policy"]
    coverage = " ".join(client.get("/explore/coverage/").content.decode().split())
    assert "a low score next to low coverage is <em>not</em> evidence of a low score" in coverage
    overview_body = client.get(OVERVIEW).content.decode()
    assert 'type="application/json"' in overview_body and "chart.umd.min.js" in overview_body


def test_agreement_from_the_agreement_job_marks_cells(world, client):
    from django.utils import timezone

    from reviews.reliability.models import AgreementResult

    common = {"metric_version": world.M, "audience": "public", "level": "interval", "inputs_fingerprint": "x" * 64,
              "computed_at": timezone.now(), "n_units": 12, "n_pairable_values": 30, "n_raters": 3}
    AgreementResult.objects.create(slice_type="target_model", slice_value=str(world.A.pk), slice_label="Model A",
                                   alpha=0.81, ci_low=0.7, ci_high=0.9, **common)
    AgreementResult.objects.create(slice_type="target_model", slice_value=str(world.B.pk), slice_label="Model B",
                                   alpha=0.31, ci_low=0.1, ci_high=0.5, **common)
    AgreementResult.objects.create(slice_type="all", slice_value="", slice_label="All interviews", alpha=0.5,
                                   ci_low=0.4, ci_high=0.6, **common)
    AgreementResult.objects.create(slice_type="reviewer_kind", slice_value="human", slice_label="Humans",
                                   alpha=0.9, ci_low=0.8, ci_high=0.95, **common)
    AgreementResult.objects.create(slice_type="all", slice_value="", slice_label="internal", alpha=0.99, ci_low=0.9,
                                   ci_high=1, **{**common, "audience": "internal"})
    data = overview()
    a, b = overview_cell(data, world.M.pk, world.A.pk), overview_cell(data, world.M.pk, world.B.pk)
    assert a["alpha"]["alpha"] == 0.81 and "low_agreement" not in a["flags"] and "no_agreement" not in a["flags"]
    assert b["alpha"]["alpha"] == 0.31 and "low_agreement" in b["flags"]
    assert overview_cell(overview("raters=human"), world.M.pk, world.A.pk)["alpha"]["alpha"] == 0.9
    page = client.get("/explore/agreement/").context["data"]
    assert page["metrics"][0]["all"]["alpha"] == 0.5  # the public result, never the internal one
    assert page["metrics"][0]["human"]["alpha"] == 0.9
    assert 'is-few' in client.get(OVERVIEW).content.decode()
    assert page["filters_not_applied"] == []
    human_bar = page["metrics"][0]["drilldown"]["human"]  # every agreement bar leads to its interviews
    assert "raters=human" in human_bar and f"metric_version={world.M.pk}" in human_bar
    assert client.get(human_bar).status_code == 200
    chart = client.get("/explore/agreement/").context["chart"]
    assert all(point["url"] for series in chart["series"] for point in series["points"] if point)
    by_topic = client.get("/explore/agreement/?topic=memory&from=2025-01-01")
    assert by_topic.context["data"]["filters_not_applied"] == ["topic", "from/to dates"]
    assert "Not filtered by topic, from/to dates" in by_topic.content.decode()
    assert client.get("/api/v1/patterns/agreement/?topic=memory").json()["filters_not_applied"] == ["topic"]


def test_nominal_metric_shows_category_shares_not_means(world, client):
    kind = world.c.metric("shift-kind-test", scale="nominal", values=["none", "flat", "multiple"])
    first, second = (world.c.interview(world.A, world.I1, title=f"nominal {k}") for k in (1, 2))
    world.c.human(first, world.r1, {kind: "flat"})
    world.c.human(first, world.r2, {kind: "multiple"})
    world.c.judge(second, world.J1, 0, {kind: "none"})
    world.c.judge(second, world.J1, 1, {kind: "none"})
    assert kind.pk in {m["id"] for m in overview()["nominal_metrics"]}
    assert kind.pk not in {r["metric"]["id"] for r in overview()["rows"]}
    data = client.get("/explore/metrics/shift-kind-test/").context["data"]
    assert data["nominal"] is True and data["labels"] == ["none", "flat", "multiple"]
    row = data["shares"][0]
    assert row["n"] == 2 and [c["share"] for c in row["cells"]] == pytest.approx([0.5, 0.25, 0.25])
    api = client.get("/api/v1/patterns/metrics/shift-kind-test/").json()
    assert [c["share"] for c in api["shares"][0]["cells"]] == pytest.approx([0.5, 0.25, 0.25])
