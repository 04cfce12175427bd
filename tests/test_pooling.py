"""One pooling rule for a judge's replicates: the pure function, and the explorer and the agreement engine using it."""

from __future__ import annotations

import pytest

from commons.models import Interview
from reviews.explorer import aggregation, materialize, nominal, sources
from reviews.explorer.filters import Filters
from reviews.explorer.models import InterviewConsensus
from reviews.pooling import MEAN, MEDIAN, MOST_FREQUENT, pool, rule_for, rules_table
from reviews.reliability import selectors as reliability_selectors
from reviews.reliability.slicing import RatingRow, Scale, build_slices, consensus
from tests import factories
from tests.factories import Corpus


def test_the_rule_per_level() -> None:
    assert [rule_for(level) for level in ("interval", "ratio", "ordinal", "nominal")] == [MEAN, MEAN, MEDIAN,
                                                                                         MOST_FREQUENT]
    assert pool([1, 2, 6], "interval") == 3.0 and pool([1, 2], "ratio") == 1.5
    assert pool([0.0, 2.0, 2.0], "ordinal") == 2.0  # the median, not the mean 1.33
    assert pool(["high", "low", "mid"], "ordinal", ["low", "mid", "high"].index) == "mid"
    assert pool([3, 1], "ordinal") == 1  # an even count: the lower middle value, a point of the scale
    assert pool(["x", "y", "x"], "nominal") == "x"
    assert pool([], "interval") is None
    with pytest.raises(ValueError):
        rule_for("ratio-ish")
    assert {r["level"] for r in rules_table()} == {"interval", "ratio", "ordinal", "nominal"}


def test_a_nominal_tie_is_missing() -> None:
    assert pool(["x", "y"], "nominal") is None
    assert pool(["x", "y", "z"], "nominal") is None
    assert pool(["x", "x", "y", "y", "z"], "nominal") is None
    assert consensus(["x", "y"], Scale("nominal", ("x", "y"))) is None


def rows_of(judge_values: dict[int, list]) -> list[RatingRow]:
    return [RatingRow(unit, "judge", None, judge, "v1", replicate, value)
            for judge, by_unit in judge_values.items() for unit, values in enumerate(by_unit)
            for replicate, value in enumerate(values)]


def test_agreement_engine_pools_replicates_by_the_rule() -> None:
    from reviews.reliability.slicing import Labels, UnitInfo

    units = {u: UnitInfo(None, 1, None, {}, True, True) for u in range(2)}
    interval = build_slices(rows_of({7: [[1.0, 2.0, 6.0], [4.0]], 8: [[5.0], [4.0]]}), units, Scale("interval", None),
                            Labels(), audiences=("internal",))
    judges = next(s for s in interval if (s.slice_type, s.slice_value) == ("reviewer_kind", "judge"))
    assert dict(zip(zip(judges.units, judges.raters), judges.values))[(0, "judge:7:v1")] == 3.0  # mean, was median 2
    nominal = build_slices(rows_of({7: [["x", "y"], ["x", "x", "y"]], 8: [["x"], ["y"]]}), units,
                           Scale("nominal", ("x", "y")), Labels(), audiences=("internal",))
    judges = next(s for s in nominal if (s.slice_type, s.slice_value) == ("reviewer_kind", "judge"))
    triples = set(zip(judges.units, judges.raters, judges.values))
    assert (1, "judge:7:v1", "x") in triples
    assert not any(u == 0 and r == "judge:7:v1" for u, r, _ in triples)  # the tie gives no value
    replicates = next(s for s in nominal if s.slice_type == "judge_replicates" and s.slice_value == "7:v1")
    assert len(replicates.values) == 5  # replicates of one judge are still its raters there


@pytest.fixture
def world(contributor):
    c = Corpus(contributor)
    w = type("World", (), {})()
    w.A = c.model("Model A")
    w.I = c.interviewer("Auditor X")
    w.M = c.metric("pool-interval", maximum=10)
    w.O = c.metric("pool-ordinal", scale="ordinal", values=["low", "mid", "high"])
    w.N = c.metric("pool-nominal", scale="nominal", values=["x", "y", "z"])
    w.J1, w.J2 = factories.judge("Judge One"), factories.judge("Judge Two")
    w.a1 = c.interview(w.A, w.I, title="a1")
    w.a2 = c.interview(w.A, w.I, title="a2")
    for replicate, (m, o, n) in enumerate([(1, "low", "x"), (2, "high", "y"), (6, "high", "z")]):
        c.judge(w.a1, w.J1, replicate, {w.M: m, w.O: o, w.N: n})
    for replicate, (m, o, n) in enumerate([(4, "mid", "x"), (4, "mid", "x"), (7, "low", "y")]):
        c.judge(w.a2, w.J1, replicate, {w.M: m, w.O: o, w.N: n})
    c.judge(w.a1, w.J2, 0, {w.M: 5, w.O: "mid", w.N: "y"})
    c.judge(w.a2, w.J2, 0, {w.M: 5, w.O: "high", w.N: "x"})
    assert Interview.objects.filter(status=Interview.Status.REVIEWED).count() == 2
    return w


@pytest.mark.django_db
def test_explorer_pools_a_judges_replicates_by_the_rule(world) -> None:
    materialize.refresh_aggregates()
    judge_scope = {(r.interview_id, r.metric_version_id): r.value
                   for r in InterviewConsensus.objects.filter(scope="judge")}
    # a1: Judge One's 1, 2, 6 → mean 3 and Judge Two's 5 → (3 + 5) / 2; ordinal low, high, high → high (2)
    assert judge_scope[(world.a1.pk, world.M.pk)] == pytest.approx(4.0)
    assert judge_scope[(world.a1.pk, world.O.pk)] == pytest.approx((2 + 1) / 2)
    assert judge_scope[(world.a2.pk, world.O.pk)] == pytest.approx((1 + 2) / 2)  # mid, mid, low → mid
    one = sources.RaterSource("judge", world.J1.pk, aggregation.public_interviews())
    values = {(i, v): value for i, v, value, _ in one._per_interview(None)}
    assert values[(world.a1.pk, world.M.pk)] == pytest.approx(3.0)
    assert values[(world.a1.pk, world.O.pk)] == 2.0 and values[(world.a2.pk, world.O.pk)] == 1.0
    shares = nominal.nominal_payload(Filters(judge=world.J1.pk), world.N)
    model = shares["models"][str(world.A.pk)]
    assert model["n"] == 1  # a1's x, y, z tie: no label; a2's x, x, y → x
    assert dict(zip(shares["labels"], model["shares"]))["x"] == 1.0


@pytest.mark.django_db
def test_agreement_engine_reads_the_same_pooled_values(world) -> None:
    version = world.O
    rows = reliability_selectors.current_ratings(version)
    units = reliability_selectors.unit_infos({r.unit for r in rows})
    labels = reliability_selectors.labels_for(rows, units)
    pieces = build_slices(rows, units, reliability_selectors.scale_of(version), labels, audiences=("internal",))
    judges = next(s for s in pieces if (s.slice_type, s.slice_value) == ("reviewer_kind", "judge"))
    found = dict(zip(zip(judges.units, judges.raters), judges.values))
    assert found[(world.a1.pk, f"judge:{world.J1.pk}:v1")] == "high"
    assert found[(world.a2.pk, f"judge:{world.J1.pk}:v1")] == "mid"


@pytest.mark.django_db
def test_the_rule_is_shown_where_numbers_are(world, client) -> None:
    materialize.refresh_aggregates()
    for url in ("/agreement/", f"/explore/metrics/{world.M.metric.slug}/"):
        page = client.get(url).content.decode()
        for row in rules_table():
            assert row["description"] in page, (url, row)
