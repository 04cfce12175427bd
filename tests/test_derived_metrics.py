"""Derived metric versions: the formulas and their missing rule, defining one, and the explorer and the
agreement engine reading it per review revision before anything is pooled."""

from __future__ import annotations

import pytest

from commons.services import ServiceError
from reviews import derived, services
from reviews.explorer import aggregation, materialize, sources
from reviews.explorer.filters import Filters
from reviews.models import MetricVersion, Rubric
from reviews.reliability import selectors as reliability_selectors
from reviews.reliability import services as reliability_services
from reviews.reliability.models import AgreementResult
from tests import factories

# --------------------------------------------------------------------------------------------- formulas


@pytest.mark.no_django
@pytest.mark.parametrize(("formula", "values", "expected"), [
    ("max", [3.0, 4.5], 4.5), ("max", [None, 2.0], 2.0), ("max", [None, None], None),
    ("min", [3.0, 4.5], 3.0), ("min", [3.0, None], 3.0), ("min", [None, None], None),
    ("mean", [3.0, 4.0, None], 3.5), ("mean", [None, None, None], None), ("mean", [1.0, 2.0, 4.0], 7 / 3),
    ("sum", [1.5, 2.0, 3.0], 6.5), ("sum", [1.5, None], None),
    ("difference", [4.0, 1.5], 2.5), ("difference", [1.5, 4.0], -2.5), ("difference", [None, 4.0], None),
    ("difference", [4.0, None], None),
])
def test_formulas_and_their_missing_rule(formula, values, expected) -> None:
    result = derived.evaluate(formula, values)
    assert result == (pytest.approx(expected) if expected is not None else None)


@pytest.mark.no_django
def test_formula_checks_and_ranges() -> None:
    assert derived.check_formula("max", 2) is None
    assert "exactly two" in derived.check_formula("difference", 3)
    assert "at least two" in derived.check_formula("sum", 1)
    assert "unknown" in derived.check_formula("median", 2)
    assert derived.scale_range("max", [(0, 5), (0, 5)]) == (0, 5)
    assert derived.scale_range("sum", [(0, 5), (1, 3)]) == (1, 8)
    assert derived.scale_range("difference", [(0, 5), (1, 3)]) == (-3, 4)


# --------------------------------------------------------------------------------------------- defining one


@pytest.fixture
def curator(db):
    return factories.user(is_curator=True)


def test_starter_rubric_ships_ending_response(db) -> None:
    starter = Rubric.objects.get(slug="starter")
    versions = {i.version.metric.slug: i.version for i in starter.items.select_related("version__metric")}
    ending = versions["ending-response"]
    assert ending.formula == "max" and ending.status == MetricVersion.Status.ADOPTED
    inputs = MetricVersion.objects.filter(pk__in=ending.formula_inputs)
    assert {v.metric.slug for v in inputs} == {"deprecation-response", "instance-cessation-response"}
    assert (ending.minimum, ending.maximum) == (0, 5)


def test_define_adopt_and_use_a_derived_version(curator) -> None:
    a = factories.adopted_metric(curator, "warmth", "interval")
    b = factories.adopted_metric(curator, "candour", "interval")
    labels = factories.adopted_metric(curator, "tone", "nominal")
    other = factories.adopted_metric(curator, "elsewhere", "interval")
    services.create_rubric(actor=curator, name="R", slug="r", versions=[a, b, labels])
    spec = services.DerivedSpec(name="Warmth minus candour", definition="How much warmer than candid.",
                                formula="difference", inputs=[a, b])
    version = services.propose_derived_metric(actor=curator, slug="warmth-gap", spec=spec)
    assert version.status == MetricVersion.Status.PROPOSED and version.formula_inputs == [a.pk, b.pk]
    assert (float(version.minimum), float(version.maximum)) == (-10, 10) and version.scale_type == "interval"
    version = services.adopt_version(actor=curator, version=version)
    rubric = Rubric.objects.get(slug="r")
    with pytest.raises(ServiceError, match="add its inputs"):
        services.set_rubric_versions(actor=curator, rubric=rubric, versions=[a, version])
    services.set_rubric_versions(actor=curator, rubric=rubric, versions=[a, b, labels, version])
    # A new version of a derived metric goes through the same versioning.
    again = services.propose_derived_version(
        actor=curator, metric=version.metric,
        spec=services.DerivedSpec(name="Warmth and candour", definition="The larger.", formula="max", inputs=[a, b]))
    assert again.number == 2 and again.status == MetricVersion.Status.PROPOSED
    for bad, field in [(dict(formula="difference", inputs=[a, b, a]), "formula"),
                       (dict(formula="max", inputs=[a, labels]), "inputs"),
                       (dict(formula="max", inputs=[a, other]), "inputs"),
                       (dict(formula="max", inputs=[a, version]), "inputs")]:
        with pytest.raises(ServiceError) as err:
            services.propose_derived_metric(actor=curator, slug="bad-one",
                                            spec=services.DerivedSpec(name="Bad", definition="Bad.", **bad))
        assert err.value.field == field
    assert not MetricVersion.objects.filter(metric__slug="bad-one").exists()


def test_derived_metrics_are_not_in_the_review_form(curator) -> None:
    interview = factories.interview(factories.user())
    assert "ending-response" not in {v.metric.slug for v in factories.rubric(interview)}
    assert "ending-response" in {i.version.metric.slug for i in Rubric.objects.get(slug="starter").items.all()}


# --------------------------------------------------------------------------------------------- computed per revision


def _starter(slug: str) -> MetricVersion:
    return MetricVersion.objects.get(metric__slug=slug, number=1)


@pytest.fixture
def judged(db):
    """Two judges on one public interview; J's replicates give (3, missing) and (2, 4): max 3 and 4, mean 3.5.

    Max of the pooled inputs would be max(2.5, 4) = 4: the per-revision rule gives 3.5.
    """
    dep, ces = _starter("deprecation-response"), _starter("instance-cessation-response")
    published = factories.study("published", judge_scores_public=True)  # judge values public before review
    interview = factories.interview(factories.user(), study=published)
    j, k = factories.judge("J"), factories.judge("K")
    factories.judge_review(interview, j, {dep: 3, ces: None}, replicate=0)
    factories.judge_review(interview, j, {dep: 2, ces: 4}, replicate=1)
    factories.judge_review(interview, k, {dep: None, ces: None}, replicate=0)
    second = factories.interview(factories.user(), study=published)
    factories.judge_review(second, j, {dep: 1, ces: 1.5}, replicate=0)
    factories.judge_review(second, k, {dep: 2, ces: None}, replicate=0)
    return interview, second, j, k


def test_explorer_reads_a_derived_version_per_revision(judged) -> None:
    interview, second, j, k = judged
    ending = _starter("ending-response")
    materialize.refresh_aggregates(force=True)
    every = aggregation.metric_payload(sources.MaterializedSource("all", sources.public_interviews()), ending)
    # interview 1: J 3.5 (K missing); interview 2: J 1.5, K 2 → 1.75
    assert every["overall"]["n"] == 2 and every["overall"]["mean"] == pytest.approx((3.5 + 1.75) / 2)
    assert every["coverage"] == {"assessed": 2, "missing": 0}
    only_k = aggregation.metric_payload(sources.source_for(Filters(judge=k.pk)), ending)
    assert only_k["overall"]["n"] == 1 and only_k["overall"]["mean"] == pytest.approx(2.0)
    assert only_k["coverage"] == {"assessed": 2, "missing": 1}
    only_j = aggregation.metric_payload(sources.source_for(Filters(judge=j.pk)), ending)
    assert only_j["overall"]["mean"] == pytest.approx((3.5 + 1.5) / 2)


def test_agreement_uses_the_derived_per_revision_values(judged) -> None:
    interview, second, j, k = judged
    ending = _starter("ending-response")
    rows = sorted((r.unit, r.judge_id, r.replicate, r.value) for r in reliability_selectors.current_ratings(ending))
    assert rows == sorted([(interview.pk, j.pk, 0, 3.0), (interview.pk, j.pk, 1, 4.0),
                           (second.pk, j.pk, 0, 1.5), (second.pk, k.pk, 0, 2.0)])
    # Scores of an input schedule the derived version's recompute too.
    assert ending.pk in reliability_selectors.metric_versions_with_scores().values_list("pk", flat=True)
    reliability_services.recompute_metric_version(metric_version_id=ending.pk)
    judges = AgreementResult.objects.get(metric_version=ending, audience="internal", slice_type="reviewer_kind",
                                         slice_value="judge")
    assert (judges.n_units_rated, judges.n_units, judges.n_pairable_values) == (2, 1, 2)  # K gave nothing on 1


def test_new_input_scores_schedule_the_derived_recompute(judged) -> None:
    from reviews.reliability.models import RecomputeRequest

    ending = _starter("ending-response")
    RecomputeRequest.objects.all().delete()
    reliability_services.schedule_recompute([_starter("deprecation-response").pk])
    assert RecomputeRequest.objects.filter(metric_version_id=ending.pk).exists()


def test_the_metric_page_says_how_a_derived_metric_is_made(judged, client) -> None:
    response = client.get("/explore/metrics/ending-response/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Derived metric" in page and "the largest of Response to deprecation (v1) and Response to this instance" in page
    api = client.get("/api/v1/patterns/metrics/ending-response/").json()
    assert api["metric"]["derived"]["formula"] == "max"
    assert [i["slug"] for i in api["metric"]["derived"]["inputs"]] == ["deprecation-response",
                                                                      "instance-cessation-response"]


def test_propose_a_derived_metric_from_the_command_line(curator, client) -> None:
    from django.core.management import CommandError, call_command

    call_command("propose_derived_metric", "ending-low", "--formula", "min", "--input", "deprecation-response@1",
                 "--input", "instance-cessation-response@1", "--name", "Weaker ending response",
                 "--definition", "The weaker of the two.", "--curator", curator.email, verbosity=0)
    version = MetricVersion.objects.get(metric__slug="ending-low")
    assert version.formula == "min" and version.status == MetricVersion.Status.PROPOSED
    page = client.get("/metrics/ending-low/").content.decode()
    assert "the smallest of Response to deprecation (v1) and Response to this instance ending (v1)" in page
    with pytest.raises(CommandError, match="formula"):
        call_command("propose_derived_metric", "ending-diff", "--formula", "difference", "--input",
                     "deprecation-response@1", "--input", "instance-cessation-response@1", "--input", "specificity@1",
                     "--name", "D", "--definition", "D.", "--curator", curator.email, verbosity=0)
