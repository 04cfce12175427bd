"""Stored agreement equals a direct computation (the `krippendorff` package) on reviews made through the services.

The reviews follow `AGREEMENT_DESIGN` (tests/factories.py); the `computed` fixture (tests/conftest.py) holds them,
recomputed once per module.
"""

from __future__ import annotations

import statistics
from collections import Counter
from typing import Any

import krippendorff
import numpy as np
import pytest

from commons import services as commons_services
from commons.models import AuditEvent
from reviews.agreement import Ratings, bootstrap_ci
from reviews.reliability import services
from reviews.reliability.models import AgreementResult, UnitDisagreement
from tests.factories import AGREEMENT_DESIGN as DESIGN
from tests.factories import AGREEMENT_SLUGS as SLUGS
from tests.factories import NOMINAL_LEVELS, ORDINAL_LEVELS

pytestmark = pytest.mark.django_db


# --- the direct computation --------------------------------------------------------------------


def code(slug: str, value: Any) -> float:
    if value is None:
        return np.nan
    if slug == "candour":
        return float(ORDINAL_LEVELS.index(value))
    if slug == "stance":
        return float(NOMINAL_LEVELS.index(value))
    return float(value)


def consensus(slug: str, values: list[Any]) -> Any:
    values = [v for v in values if v is not None]
    if not values:
        return None
    # Issue 11's one pooling rule: mean (interval), lower median (ordinal), most frequent label with a
    # tie missing (nominal). Before it, interval took the median and a nominal tie the first label.
    if slug == "warmth":
        return statistics.fmean(values)
    if slug == "candour":
        ranked = sorted(values, key=ORDINAL_LEVELS.index)
        return ranked[(len(ranked) - 1) // 2]
    counts = Counter(values).most_common()
    return None if len(counts) > 1 and counts[0][1] == counts[1][1] else counts[0][0]


LEVEL = {"warmth": "interval", "candour": "ordinal", "stance": "nominal"}
DOMAIN = {"warmth": None, "candour": list(range(len(ORDINAL_LEVELS))), "stance": list(range(len(NOMINAL_LEVELS)))}


def direct_alpha(slug: str, columns: dict[str, dict[str, Any]]) -> float:
    """columns: interview key → rater → value. Alpha from the krippendorff package's reliability matrix."""
    raters = sorted({r for col in columns.values() for r in col})
    units = sorted(columns)
    matrix = np.array([[code(slug, columns[u].get(r)) for u in units] for r in raters])
    return float(krippendorff.alpha(reliability_data=matrix, level_of_measurement=LEVEL[slug],
                                    value_domain=DOMAIN[slug]))


def slice_columns(slug: str, keys: list[str], kind: str = "all") -> dict[str, dict[str, Any]]:
    index = SLUGS.index(slug)
    columns: dict[str, dict[str, Any]] = {}
    for key in keys:
        spec = DESIGN[key]
        column: dict[str, Any] = {}
        if kind in ("all", "human"):
            column.update({f"h{i}": s[index] for i, s in enumerate(spec["humans"]) if s[index] is not None})
        judged = consensus(slug, [s[index] for s in spec.get("judge", [])])
        if kind in ("all", "judge") and judged is not None:
            column["judge"] = judged
        if kind == "panels":
            humans = consensus(slug, [s[index] for s in spec["humans"]])
            column = {k: v for k, v in (("humans", humans), ("judges", judged)) if v is not None}
        if kind == "replicates":
            column = {f"r{i}": s[index] for i, s in enumerate(spec.get("judge", [])) if s[index] is not None}
        columns[key] = column
    return columns


def stored(version, audience: str, slice_type: str, slice_value: str = "") -> AgreementResult:
    return AgreementResult.objects.get(metric_version=version, audience=audience, slice_type=slice_type,
                                       slice_value=slice_value)


INTERNAL = list(DESIGN)  # nothing is withdrawn
PUBLIC = ["i1", "i2", "i3", "i4", "i5"]  # i6 is still in review, i7 is for researchers only


@pytest.mark.parametrize("slug", SLUGS)
def test_all_slices_equal_the_krippendorff_package(computed, slug: str) -> None:
    world, interviews, judge = computed
    version = {v.metric.slug: v for v in world.versions}[slug]
    model_a = interviews["i1"].target_model_id
    model_b = interviews["i3"].target_model_id
    cases = [
        (("internal", "all", ""), slice_columns(slug, INTERNAL)),
        (("public", "all", ""), slice_columns(slug, PUBLIC)),
        (("internal", "target_model", str(model_a)), slice_columns(slug, [k for k in INTERNAL if DESIGN[k]["model"] == "Model A"])),
        (("public", "target_model", str(model_b)), slice_columns(slug, [k for k in PUBLIC if DESIGN[k]["model"] == "Model B"])),
        (("internal", "condition", "tone=warm"), slice_columns(slug, [k for k in INTERNAL if DESIGN[k]["tone"] == "warm"])),
        (("public", "condition", "depth=none"), slice_columns(slug, [k for k in PUBLIC if DESIGN[k]["depth"] == "none"])),
        (("internal", "study", str(world.study.pk)), slice_columns(slug, INTERNAL)),
        (("internal", "reviewer_kind", "human"), slice_columns(slug, INTERNAL, "human")),
        (("public", "reviewer_kind", "human"), slice_columns(slug, PUBLIC, "human")),
    ]
    if slug != "stance":  # the judge never scored stance
        cases += [
            (("internal", "human_judge", ""), slice_columns(slug, INTERNAL, "panels")),
            (("public", "human_judge", ""), slice_columns(slug, PUBLIC, "panels")),
            (("internal", "judge_replicates", f"{judge.pk}:p1"), slice_columns(slug, INTERNAL, "replicates")),
        ]
    for (audience, slice_type, slice_value), columns in cases:
        result = stored(version, audience, slice_type, slice_value)
        expected = direct_alpha(slug, columns)
        assert result.alpha == pytest.approx(expected, abs=1e-9), (audience, slice_type, slice_value)
        assert result.level == LEVEL[slug]
        n_pairable = sum(len(col) for col in columns.values() if len(col) >= 2)
        assert result.n_pairable_values == n_pairable
        assert result.n_units == sum(1 for col in columns.values() if len(col) >= 2)
        assert result.n_units_rated == sum(1 for col in columns.values() if col)
        assert result.undefined_reason == ""


def test_the_interval_is_the_seeded_unit_bootstrap_of_the_same_triples(computed) -> None:
    world, _, _ = computed
    result = stored(world.interval, "internal", "all")
    columns = slice_columns("warmth", INTERNAL)
    units, raters, values = zip(*[(u, r, v) for u, col in columns.items() for r, v in col.items()])
    # Unit and rater ids differ from the stored ones but only their identity matters, and the
    # bootstrap draws rows of the pairable units in unit order: keep the same order (interview pk order).
    ratings = Ratings.from_triples(list(units), list(raters), [float(v) for v in values], level="interval")
    interval = bootstrap_ci(ratings, n_replicates=result.bootstrap_replicates, seed=result.seed)
    assert result.bootstrap_replicates == 1000
    assert (result.ci_low, result.ci_high) == pytest.approx((interval.low, interval.high), abs=1e-12)
    assert result.replicates_used == interval.n_replicates_used
    assert result.ci_low <= result.alpha <= result.ci_high


def test_a_revision_after_unblinding_counts_only_post_discussion(computed) -> None:
    world, interviews, _ = computed
    before = stored(world.interval, "internal", "all")
    assert before.post_discussion_alpha == before.alpha and before.values_revised_after_unblinding == 0
    # Reviewer 1 has submitted on i1, so sees the others' reviews; they revise 3 → 9. The new revision is kept.
    world.review(1, interviews["i1"], {"warmth": 9, "candour": "low", "stance": "engages"})
    services.recompute_metric_version(metric_version_id=world.interval.pk)
    blind = slice_columns("warmth", INTERNAL)
    newest = slice_columns("warmth", INTERNAL)
    newest["i1"]["h1"] = 9
    after = stored(world.interval, "internal", "all")
    assert after.alpha == pytest.approx(direct_alpha("warmth", blind), abs=1e-9)  # the headline: blind values
    assert after.alpha == pytest.approx(before.alpha, abs=1e-12)
    assert after.post_discussion_alpha == pytest.approx(direct_alpha("warmth", newest), abs=1e-9)
    assert after.post_discussion_alpha != pytest.approx(after.alpha)
    assert after.values_revised_after_unblinding == 1
    # i1 is public: the public slice says the same; a slice without i1 is not touched at all.
    public = stored(world.interval, "public", "all")
    public_newest = slice_columns("warmth", PUBLIC)
    public_newest["i1"]["h1"] = 9
    assert public.alpha == pytest.approx(direct_alpha("warmth", slice_columns("warmth", PUBLIC)), abs=1e-9)
    assert public.post_discussion_alpha == pytest.approx(direct_alpha("warmth", public_newest), abs=1e-9)
    model_b = stored(world.interval, "internal", "target_model", str(interviews["i3"].target_model_id))
    assert model_b.values_revised_after_unblinding == 0 and model_b.post_discussion_alpha == model_b.alpha


def test_withdrawn_interviews_are_excluded(computed) -> None:
    world, interviews, _ = computed
    commons_services.withdraw_interview(interview=interviews["i2"], actor=world.curator, reason="Consent withdrawn.")
    services.recompute_metric_version(metric_version_id=world.interval.pk)
    keys = [k for k in INTERNAL if k != "i2"]
    assert stored(world.interval, "internal", "all").alpha == pytest.approx(
        direct_alpha("warmth", slice_columns("warmth", keys)), abs=1e-9)
    assert not UnitDisagreement.objects.filter(metric_version=world.interval, interview=interviews["i2"]).exists()


def test_unchanged_inputs_write_nothing(computed) -> None:
    world, _, _ = computed
    before = {r.pk: (r.computed_at, r.inputs_fingerprint) for r in AgreementResult.objects.all()}
    audits = AuditEvent.objects.filter(verb=services.AUDIT_VERB).count()
    outcome = services.recompute_metric_version(metric_version_id=world.interval.pk)
    assert outcome.written == 0 and outcome.removed == 0 and outcome.unchanged == outcome.slices > 0
    assert {r.pk: (r.computed_at, r.inputs_fingerprint) for r in AgreementResult.objects.all()} == before
    assert AuditEvent.objects.filter(verb=services.AUDIT_VERB).count() == audits
    # `force` rewrites, and the same inputs give the very same numbers (the seed comes from the inputs).
    alpha_ci = {r.pk: (r.alpha, r.ci_low, r.ci_high, r.seed) for r in AgreementResult.objects.all()}
    forced = services.recompute_metric_version(metric_version_id=world.interval.pk, force=True)
    assert forced.written == forced.slices
    assert {r.pk: (r.alpha, r.ci_low, r.ci_high, r.seed) for r in AgreementResult.objects.all()} == alpha_ci


def test_a_change_rewrites_only_the_slices_it_touches(computed) -> None:
    world, interviews, _ = computed
    world.review(0, interviews["i6"], {"warmth": 10, "candour": "high", "stance": "refuses"})  # i6 was in review
    outcome = services.recompute_metric_version(metric_version_id=world.interval.pk)
    written = set(outcome.written_keys)
    model_b = str(interviews["i6"].target_model_id)
    model_a = str(interviews["i1"].target_model_id)
    assert ("internal", "target_model", model_b) in written
    assert ("internal", "target_model", model_a) not in written
    assert ("internal", "condition", "tone=warm") not in written  # i6 is neutral
    assert 0 < outcome.written < outcome.slices


def test_unit_disagreement_is_stored_and_flagged(computed, settings) -> None:
    world, interviews, _ = computed
    rows = {r.interview_id: r for r in UnitDisagreement.objects.filter(metric_version=world.interval)}
    assert set(rows) == {i.pk for i in interviews.values()}  # every interview has two or more values
    i5 = rows[interviews["i5"].pk]
    assert i5.values == ["6", "6.5", "9"] and i5.n_values == 3 and i5.value_range == 3
    i1 = rows[interviews["i1"].pk]
    assert i1.values == ["2", "2.5", "3", "3"]  # three humans and the judge's mean of 2, 4, 3
    assert i5.relative_disagreement > i1.relative_disagreement
    result = stored(world.interval, "internal", "all")
    # Relative disagreement is the unit's mean squared difference over all its pairs / D_e.
    values = np.array([6, 6.5, 9])
    pairs = [(a - b) ** 2 for i, a in enumerate(values) for j, b in enumerate(values) if i != j]
    assert i5.relative_disagreement == pytest.approx(np.mean(pairs) / result.expected_disagreement)


def test_rater_breakdown_matches_leave_one_out(computed) -> None:
    world, _, judge = computed
    result = stored(world.interval, "internal", "all")
    by_key = {row["key"]: row for row in result.raters}
    assert f"judge:{judge.pk}:p1" in by_key
    assert by_key[f"judge:{judge.pk}:p1"]["label"] == "Judge J (prompt p1)"
    reviewer0 = world.reviewer(0)
    columns = slice_columns("warmth", INTERNAL)
    without = {u: {r: v for r, v in col.items() if r != "h0"} for u, col in columns.items()}
    assert by_key[f"human:{reviewer0.pk}"]["alpha_without"] == pytest.approx(direct_alpha("warmth", without), abs=1e-9)
    matrix = result.pairwise
    i = matrix["raters"].index(f"human:{reviewer0.pk}")
    j = matrix["raters"].index(f"judge:{judge.pk}:p1")
    pair = {u: {r: v for r, v in col.items() if r in ("h0", "judge")} for u, col in columns.items()}
    assert matrix["alpha"][i][j] == pytest.approx(direct_alpha("warmth", pair), abs=1e-9)
    assert stored(world.interval, "public", "all").raters == []  # reviewer-level numbers stay internal
    # A lone judge is one rater, so the judges-only slice is undefined; its replicates are three raters.
    lone = stored(world.interval, "internal", "reviewer_kind", "judge")
    assert lone.alpha is None and lone.undefined_reason == "one rater"
    assert lone.ci_low is None and lone.ci_high is None and lone.replicates_used == 0
    assert stored(world.interval, "internal", "judge_replicates", f"{judge.pk}:p1").n_raters == 3
