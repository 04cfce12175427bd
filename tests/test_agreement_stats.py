"""Krippendorff's alpha (reviews/agreement.py): published values, the `krippendorff` package as an
independent reference on random data, degenerate inputs, bootstrap, units and raters.

Pure numpy: no database, no Django settings needed.
"""

from __future__ import annotations

import decimal
import itertools
import math
import warnings
from typing import Any

import krippendorff  # GPL: test-only reference
import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from reviews import agreement
from reviews.agreement import (
    LEVELS,
    NO_PAIRABLE_VALUES,
    NO_RATINGS,
    NO_VARIATION,
    ONE_RATER,
    ZERO_EXPECTED_DISAGREEMENT,
    Ratings,
    alpha_from_matrix,
    bootstrap_ci,
    bootstrap_replicates,
    coincidence_matrix,
    compute_alpha,
    krippendorff_alpha,
    pairable_units,
    pairwise_alpha,
    rater_agreement,
    unit_dispersion,
)

pytestmark = pytest.mark.no_django  # nothing here touches Django

NAN = np.nan
REASONS = {NO_RATINGS, ONE_RATER, NO_PAIRABLE_VALUES, NO_VARIATION, ZERO_EXPECTED_DISAGREEMENT}
HYPOTHESIS = settings(max_examples=200, deadline=None, database=None,
                      suppress_health_check=[HealthCheck.too_slow])


def close(ours: float | None, reference: float, tol: float = 1e-9) -> bool:
    return ours is not None and math.isclose(ours, reference, rel_tol=tol, abs_tol=tol)


def reference_alpha(matrix: np.ndarray, level: str, value_domain: list[float] | None = None) -> float | None:
    """`krippendorff.alpha`, with None where it raises or gives a non-finite number."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            value = float(krippendorff.alpha(reliability_data=matrix, level_of_measurement=level,
                                             value_domain=value_domain))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def triples(matrix: np.ndarray) -> tuple[list[str], list[str], list[float]]:
    """The matrix as (unit, rater, value) triples with string ids, missing cells left out."""
    units, raters, values = [], [], []
    for rater, row in enumerate(matrix):
        for unit, value in enumerate(row):
            if not np.isnan(value):
                units.append(f"u{unit}")
                raters.append(f"r{rater}")
                values.append(float(value))
    return units, raters, values


# --------------------------------------------------------------------------- published values

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability" (Annenberg School for
# Communication, University of Pennsylvania, repository.upenn.edu/asc_papers/43): four observers
# A-D, twelve units, values 1-5, missing values (nan). The paper prints, for these data, nominal
# 0.743, ordinal 0.815, interval 0.849 and ratio 0.797; the `krippendorff` package's own docstring
# reproduces the same data and values (nominal 0.743, ordinal 0.815, ratio 0.797).
PAPER_4_OBSERVERS = np.array([
    [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
    [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
])
PUBLISHED = {"nominal": 0.743, "ordinal": 0.815, "interval": 0.849, "ratio": 0.797}


@pytest.mark.parametrize("level", LEVELS)
def test_paper_example_at_every_level(level: str) -> None:
    result = alpha_from_matrix(PAPER_4_OBSERVERS, level=level)
    assert result.alpha is not None and round(result.alpha, 3) == PUBLISHED[level]
    assert close(result.alpha, reference_alpha(PAPER_4_OBSERVERS, level))
    # Unit 12 has a single value, so 11 units and 40 pairable values remain.
    assert (result.n_units, result.n_pairable_values, result.n_raters, result.level) == (11, 40, 4, level)
    assert result.reason is None
    assert close(result.alpha, 1 - result.observed_disagreement / result.expected_disagreement)


def test_paper_example_coincidences_and_nominal_disagreements() -> None:
    values, matrix = coincidence_matrix(Ratings.from_matrix(PAPER_4_OBSERVERS, level="nominal"))
    assert values == [1.0, 2.0, 3.0, 4.0, 5.0]
    third, four_thirds = 1 / 3, 4 / 3
    expected = np.array([
        [7, four_thirds, third, third, 0],
        [four_thirds, 10, four_thirds, third, 0],
        [third, four_thirds, 8, third, 0],
        [third, third, third, 4, 0],
        [0, 0, 0, 0, 3],
    ])
    np.testing.assert_allclose(matrix, expected, atol=1e-12)
    np.testing.assert_allclose(matrix.sum(axis=1), [9, 13, 10, 5, 3])
    result = alpha_from_matrix(PAPER_4_OBSERVERS, level="nominal")
    # alpha = 1 - (n - 1) * (sum of off-diagonal o) / (n^2 - sum n_c^2) = 1 - 39 * 8 / 1216
    assert close(result.alpha, 1 - 39 * 8 / (40**2 - (81 + 169 + 100 + 25 + 9)))


def test_paper_binary_two_observers() -> None:
    # Same paper, binary data, two observers, ten units, no missing data: alpha = 0.095.
    a = [0, 1, 0, 0, 0, 0, 0, 0, 1, 0]
    b = [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]
    result = alpha_from_matrix([a, b], level="nominal")
    assert round(result.alpha, 3) == 0.095
    assert close(result.alpha, reference_alpha(np.array([a, b], dtype=float), "nominal"))


def test_paper_nominal_two_observers_with_letters() -> None:
    # Same paper, nominal data, two observers (Ben, Gerry), twelve units: alpha = 0.692.
    ben = "a a b b d c c c e d d a".split()
    gerry = "b a b b b c c c e d d d".split()
    units = list(range(12)) * 2
    raters = ["Ben"] * 12 + ["Gerry"] * 12
    result = krippendorff_alpha(units, raters, ben + gerry, level="nominal")
    assert round(result.alpha, 3) == 0.692
    codes = {label: i for i, label in enumerate("abcde")}
    matrix = np.array([[codes[x] for x in ben], [codes[x] for x in gerry]], dtype=float)
    assert close(result.alpha, reference_alpha(matrix, "nominal"))


def test_content_analysis_three_observer_example() -> None:
    # Krippendorff's Content Analysis example (3 observers, 15 units), as in the package docs:
    # nominal 0.691358, interval 0.810845.
    data = np.array([
        [NAN, NAN, NAN, NAN, NAN, 3, 4, 1, 2, 1, 1, 3, 3, NAN, 3],
        [1, NAN, 2, 1, 3, 3, 4, 3, NAN, NAN, NAN, NAN, NAN, NAN, NAN],
        [NAN, NAN, 2, 1, 3, 4, 4, NAN, 2, 1, 1, 3, 3, NAN, 4],
    ])
    assert round(alpha_from_matrix(data, level="nominal").alpha, 6) == 0.691358
    assert round(alpha_from_matrix(data, level="interval").alpha, 6) == 0.810845


def test_ordinal_labels_take_their_order_from_the_domain() -> None:
    words = {1: "very low", 2: "low", 3: "mid", 4: "high", 5: "very high"}
    grid = [[None if np.isnan(v) else words[int(v)] for v in row] for row in PAPER_4_OBSERVERS]
    result = alpha_from_matrix(np.array(grid, dtype=object), level="ordinal", value_domain=list(words.values()))
    assert round(result.alpha, 3) == 0.815
    # A reversed order is the same scale, so the same alpha; a shuffled order is a different one.
    reversed_domain = list(words.values())[::-1]
    assert close(alpha_from_matrix(np.array(grid, dtype=object), level="ordinal",
                                   value_domain=reversed_domain).alpha, result.alpha)
    shuffled = ["mid", "very low", "high", "low", "very high"]
    assert not close(alpha_from_matrix(np.array(grid, dtype=object), level="ordinal",
                                       value_domain=shuffled).alpha, result.alpha)


@pytest.mark.parametrize("level", LEVELS)
def test_unobserved_domain_points_do_not_change_alpha(level: str) -> None:
    observed = alpha_from_matrix(PAPER_4_OBSERVERS, level=level)
    domain = list(range(0, 11))
    with_domain = Ratings.from_matrix(PAPER_4_OBSERVERS, level=level, value_domain=domain)
    assert list(with_domain.values) == [float(v) for v in domain]
    assert close(compute_alpha(with_domain).alpha, observed.alpha)
    assert close(compute_alpha(with_domain).alpha, reference_alpha(PAPER_4_OBSERVERS, level, domain))
    assert coincidence_matrix(with_domain).matrix.shape == (11, 11)


# --------------------------------------------------------------------------- inputs


def test_triples_in_any_order_with_any_ids_match_the_matrix() -> None:
    units, raters, values = triples(PAPER_4_OBSERVERS)
    order = np.random.default_rng(3).permutation(len(units))
    shuffled = [[seq[i] for i in order] for seq in (units, raters, values)]
    for level in LEVELS:
        expected = alpha_from_matrix(PAPER_4_OBSERVERS, level=level)
        assert krippendorff_alpha(*shuffled, level=level) == expected
        as_arrays = [np.array(seq) for seq in shuffled]
        assert krippendorff_alpha(*as_arrays, level=level) == expected


def test_missing_values_decimals_and_mixed_ids() -> None:
    units, raters, values = triples(PAPER_4_OBSERVERS)
    decimals: list[Any] = [decimal.Decimal(str(v)) for v in values]
    # "Cannot judge" comes through as None or NaN and is dropped.
    units += ["u0", ("tuple", 1), 7]
    raters += ["extra", "r0", "r1"]
    decimals += [None, float("nan"), None]
    result = krippendorff_alpha(units, raters, decimals, level="interval")
    assert close(result.alpha, 0.8491071428571428)
    assert result.n_raters == 4


def test_invalid_input_raises_clear_errors() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        krippendorff_alpha([1, 2], [1], [1, 2], level="nominal")
    with pytest.raises(ValueError, match="more than once"):
        krippendorff_alpha(["u", "u"], ["r", "r"], [1, 2], level="nominal")
    with pytest.raises(ValueError, match="must be numbers"):
        krippendorff_alpha(["u", "u"], ["a", "b"], ["x", "y"], level="interval")
    with pytest.raises(ValueError, match="must be numbers"):
        krippendorff_alpha(["u", "u"], ["a", "b"], [1, 2], level="interval", value_domain=["1", "2"])
    with pytest.raises(ValueError, match="need a value_domain"):
        krippendorff_alpha(["u", "u"], ["a", "b"], ["x", "y"], level="ordinal")
    with pytest.raises(ValueError, match="outside value_domain"):
        krippendorff_alpha(["u", "u"], ["a", "b"], [1, 11], level="ordinal", value_domain=range(11))
    with pytest.raises(ValueError, match="outside value_domain"):
        krippendorff_alpha(["u", "u"], ["a", "b"], ["x", "z"], level="nominal", value_domain=["x", "y"])
    with pytest.raises(ValueError, match="finite"):
        krippendorff_alpha(["u", "u"], ["a", "b"], [1, math.inf], level="ratio")
    with pytest.raises(ValueError, match="level must be"):
        krippendorff_alpha(["u"], ["a"], [1], level="circular")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="2-D"):
        alpha_from_matrix([1, 2, 3], level="nominal")


# --------------------------------------------------------------------------- random data vs the package


@st.composite
def reliability_matrices(draw: st.DrawFn) -> tuple[np.ndarray, list[float]]:
    """2-6 raters x 2-40 units on a small integer scale, 0-50% missing, plus the scale."""
    n_raters = draw(st.integers(2, 6))
    n_units = draw(st.integers(2, 40))
    low = draw(st.integers(0, 2))
    scale = list(range(low, low + draw(st.integers(1, 7))))
    missing = draw(st.sampled_from([0.0, 0.1, 0.3, 0.5]))
    cells = draw(st.lists(st.tuples(st.floats(0, 1), st.sampled_from(scale)),
                          min_size=n_raters * n_units, max_size=n_raters * n_units))
    grid = np.array([NAN if gap < missing else value for gap, value in cells], dtype=float)
    return grid.reshape(n_raters, n_units), [float(v) for v in scale]


@pytest.mark.parametrize("level", LEVELS)
@HYPOTHESIS
@given(data=reliability_matrices())
def test_agrees_with_krippendorff_package(level: str, data: tuple[np.ndarray, list[float]]) -> None:
    matrix, scale = data
    ours = alpha_from_matrix(matrix, level=level)
    reference = reference_alpha(matrix, level)
    event("reference undefined" if reference is None else "reference defined")
    _assert_matches(ours, reference)
    # The same scale given to both; at least two points, because the package needs them.
    domain = scale if len(scale) > 1 else scale + [scale[-1] + 1]
    ours_with_domain = alpha_from_matrix(matrix, level=level, value_domain=domain)
    _assert_matches(ours_with_domain, reference_alpha(matrix, level, domain))
    assert ours_with_domain.alpha == ours.alpha or close(ours_with_domain.alpha, ours.alpha)


def _assert_matches(ours: agreement.AlphaResult, reference: float | None) -> None:
    if reference is None:
        assert ours.alpha is None and ours.reason in REASONS
    else:
        assert close(ours.alpha, reference), (ours, reference)
        assert ours.reason is None


def test_agrees_with_package_on_a_larger_matrix() -> None:
    matrix = _signal_matrix(np.random.default_rng(11), n_raters=5, n_units=3000, scale=11, missing=0.3)
    for level in LEVELS:
        assert close(alpha_from_matrix(matrix, level=level).alpha, reference_alpha(matrix, level))


def _signal_matrix(rng: np.random.Generator, *, n_raters: int, n_units: int, scale: int,
                   missing: float) -> np.ndarray:
    """Ratings that agree moderately: a true score per unit plus rater noise, clipped to the scale."""
    truth = rng.integers(0, scale, size=n_units)
    noise = rng.normal(0, 1.2, size=(n_raters, n_units))
    grid = np.clip(np.rint(truth + noise), 0, scale - 1)
    grid[rng.random(grid.shape) < missing] = NAN
    return grid


def test_blocked_and_unblocked_coincidences_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    matrix = _signal_matrix(np.random.default_rng(5), n_raters=4, n_units=500, scale=6, missing=0.3)
    whole = {level: alpha_from_matrix(matrix, level=level) for level in LEVELS}
    whole_pairs = pairwise_alpha(Ratings.from_matrix(matrix, level="ordinal")).alpha
    monkeypatch.setattr(agreement, "_BLOCK_CELLS", 13)  # two units per block, one pair per chunk
    for level in LEVELS:
        assert close(alpha_from_matrix(matrix, level=level).alpha, whole[level].alpha, 1e-12)
    np.testing.assert_allclose(pairwise_alpha(Ratings.from_matrix(matrix, level="ordinal")).alpha,
                               whole_pairs, rtol=1e-12)


# --------------------------------------------------------------------------- degenerate data


@pytest.mark.parametrize("level", LEVELS)
def test_degenerate_inputs_are_undefined_with_a_reason(level: str) -> None:
    cases = {
        NO_RATINGS: ([], [], []),
        ONE_RATER: (["u1", "u2", "u3"], ["r", "r", "r"], [1, 2, 3]),
        NO_PAIRABLE_VALUES: (["u1", "u2", "u3"], ["a", "b", "c"], [1, 2, 3]),
        NO_VARIATION: (["u1", "u1", "u2", "u2", "u3"], ["a", "b", "a", "b", "c"], [4, 4, 4, 4, 2]),
    }
    for reason, (units, raters, values) in cases.items():
        ratings = Ratings.from_triples(units, raters, values, level=level)
        result = compute_alpha(ratings)
        assert result.alpha is None and result.reason == reason, (reason, result)
        assert bootstrap_ci(ratings, seed=1) == (None, None, 0)
        assert unit_dispersion(ratings).relative_disagreement is None
        assert all(r.agreement_with_rest is None and r.reason for r in rater_agreement(ratings))
        pairs = pairwise_alpha(ratings)
        assert all(pairs.value(a, b) is None for a in pairs.rater_ids for b in pairs.rater_ids)
    no_variation = krippendorff_alpha(*cases[NO_VARIATION], level=level)
    assert (no_variation.observed_disagreement, no_variation.expected_disagreement) == (0.0, 0.0)
    assert (no_variation.n_units, no_variation.n_pairable_values, no_variation.n_raters) == (2, 4, 3)


def test_ratio_values_that_cancel_have_zero_expected_disagreement() -> None:
    result = krippendorff_alpha(["u", "u", "v", "v"], ["a", "b", "a", "b"], [2, -2, 2, -2], level="ratio")
    assert result.alpha is None and result.reason == ZERO_EXPECTED_DISAGREEMENT


def test_perfect_agreement_with_variation_is_one() -> None:
    result = krippendorff_alpha(["u", "u", "v", "v"], ["a", "b", "a", "b"], [1, 1, 3, 3], level="ordinal")
    assert result.alpha == 1.0 and result.observed_disagreement == 0.0


# --------------------------------------------------------------------------- bootstrap


def test_bootstrap_is_deterministic_for_a_seed() -> None:
    ratings = Ratings.from_matrix(PAPER_4_OBSERVERS, level="interval")
    first = bootstrap_ci(ratings, n_replicates=500, seed=42)
    assert first == bootstrap_ci(ratings, n_replicates=500, seed=42)
    assert first != bootstrap_ci(ratings, n_replicates=500, seed=43)
    with pytest.raises(ValueError, match="seed"):
        bootstrap_ci(ratings)


@pytest.mark.parametrize("level", LEVELS)
def test_bootstrap_interval_contains_the_estimate(level: str) -> None:
    matrix = _signal_matrix(np.random.default_rng(7), n_raters=4, n_units=300, scale=7, missing=0.25)
    matrix[~np.isnan(matrix)] += 1  # ratio needs positive values to mean something
    ratings = Ratings.from_matrix(matrix, level=level)
    estimate = compute_alpha(ratings).alpha
    low, high, used = bootstrap_ci(ratings, n_replicates=1000, seed=2024)
    assert used == 1000
    assert low < estimate < high
    assert high - low < 0.3


@pytest.mark.parametrize("level", LEVELS)
def test_vectorized_replicates_equal_a_slow_loop(level: str) -> None:
    matrix = np.array([
        [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN, 5, 1],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3, 5, NAN],
        [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN, 4, 1],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN, NAN, 2],
    ])
    ratings = Ratings.from_matrix(matrix, level=level)
    units = pairable_units(ratings)
    draws = np.random.default_rng(9).integers(0, len(units), size=(60, len(units)))
    replicates = bootstrap_replicates(ratings, unit_draws=draws)
    for alpha, defined, row in zip(replicates.alpha, replicates.defined, draws):
        # The slow way: build each resampled data set and ask the reference package.
        resampled = matrix[:, [units[i] for i in row]]
        expected = reference_alpha(resampled, level)
        if expected is None:
            assert not defined and np.isnan(alpha)
        else:
            assert defined and close(float(alpha), expected)


def test_seeded_draws_are_plain_generator_draws_and_chunking_does_not_matter(monkeypatch: pytest.MonkeyPatch) -> None:
    ratings = Ratings.from_matrix(PAPER_4_OBSERVERS, level="ordinal")
    n_units = len(pairable_units(ratings))
    draws = np.random.default_rng(5).integers(0, n_units, size=(200, n_units))
    seeded = bootstrap_replicates(ratings, n_replicates=200, seed=5)
    explicit = bootstrap_replicates(ratings, unit_draws=draws)
    np.testing.assert_array_equal(seeded.alpha, explicit.alpha)
    monkeypatch.setattr(agreement, "_BOOTSTRAP_CELLS", 3 * n_units)
    # Other chunk shapes may round differently in BLAS, by an ulp.
    np.testing.assert_allclose(bootstrap_replicates(ratings, unit_draws=draws).alpha, explicit.alpha, rtol=1e-12)


def test_replicates_without_variation_are_dropped_and_counted() -> None:
    # Units 0 and 1 agree on 1; only unit 2 has two values. Replicates that miss it are undefined.
    ratings = Ratings.from_triples([0, 0, 1, 1, 2, 2], list("ababab"), [1, 1, 1, 1, 1, 2], level="nominal")
    draws = np.random.default_rng(0).integers(0, 3, size=(400, 3))
    has_variation = (draws == 2).any(axis=1)
    replicates = bootstrap_replicates(ratings, unit_draws=draws)
    np.testing.assert_array_equal(replicates.defined, has_variation)
    assert 0 < has_variation.sum() < 400
    assert bootstrap_ci(ratings, unit_draws=draws).n_replicates_used == int(has_variation.sum())


# --------------------------------------------------------------------------- units and raters


def _pairable(matrix: np.ndarray) -> list[tuple[int, list[int], list[float]]]:
    """(unit, raters, values) for every unit with two or more values."""
    out = []
    for unit in range(matrix.shape[1]):
        raters = [r for r in range(matrix.shape[0]) if not np.isnan(matrix[r, unit])]
        if len(raters) >= 2:
            out.append((unit, raters, [float(matrix[r, unit]) for r in raters]))
    return out


def _slow_difference(level: str, units: list[tuple[int, list[int], list[float]]]):
    """delta² as a plain function, from the definition in Krippendorff (2011)."""
    frequency: dict[float, int] = {}
    for _, _, values in units:
        for v in values:
            frequency[v] = frequency.get(v, 0) + 1

    def difference(c: float, k: float) -> float:
        if level == "nominal":
            return float(c != k)
        if level == "interval":
            return (c - k) ** 2
        if level == "ratio":
            return 0.0 if c + k == 0 else ((c - k) / (c + k)) ** 2
        low, high = min(c, k), max(c, k)
        between = sum(n for v, n in frequency.items() if low <= v <= high)
        return (between - (frequency[c] + frequency[k]) / 2) ** 2

    n = sum(frequency.values())
    expected = sum(frequency[c] * frequency[k] * difference(c, k)
                   for c in frequency for k in frequency) / (n * (n - 1))
    return difference, expected


@pytest.mark.parametrize("level", LEVELS)
def test_unit_dispersion_against_direct_computation(level: str) -> None:
    matrix = _signal_matrix(np.random.default_rng(21), n_raters=5, n_units=60, scale=6, missing=0.3) + 1
    ratings = Ratings.from_matrix(matrix, level=level)
    dispersion = unit_dispersion(ratings)
    units = _pairable(matrix)
    difference, expected = _slow_difference(level, units)
    assert dispersion.unit_ids == [u for u, _, _ in units]
    for i, (_, _, values) in enumerate(units):
        pairs = [difference(a, b) for a, b in itertools.permutations(values, 2)]
        assert close(float(dispersion.mean_pairwise_difference[i]), float(np.mean(pairs)))
        assert close(float(dispersion.relative_disagreement[i]), float(np.mean(pairs)) / expected)
        if level == "nominal":
            assert dispersion.value_range is None and dispersion.value_std is None
        else:
            assert dispersion.value_range[i] == max(values) - min(values)
            assert close(float(dispersion.value_std[i]), float(np.std(values)))
    # 1 - alpha is the m_u-weighted mean of the units' relative disagreement.
    weighted = np.average(dispersion.relative_disagreement, weights=dispersion.n_values)
    assert close(float(weighted), 1 - compute_alpha(ratings).alpha)
    threshold = float(np.median(dispersion.relative_disagreement))
    above = [u for u, r in zip(dispersion.unit_ids, dispersion.relative_disagreement) if r > threshold]
    assert above and dispersion.flagged(threshold) == above


def test_nominal_dispersion_has_no_numeric_spread() -> None:
    result = unit_dispersion(Ratings.from_triples([1, 1, 2, 2], list("abab"), list("xyxx"), level="nominal"))
    assert result.value_range is None and result.value_std is None
    assert result.mean_pairwise_difference.tolist() == [1.0, 0.0]


def _without_rater(matrix: np.ndarray, rater: int) -> np.ndarray:
    return np.delete(matrix, rater, axis=0)


@pytest.mark.parametrize("level", LEVELS)
@settings(max_examples=40, deadline=None, database=None)
@given(data=reliability_matrices())
def test_leave_one_out_and_pairwise_against_recomputation(level: str, data: tuple[np.ndarray, list[float]]) -> None:
    matrix, _ = data
    ratings = Ratings.from_matrix(matrix, level=level)
    overall = compute_alpha(ratings)
    per_rater = rater_agreement(ratings)
    assert [r.rater_id for r in per_rater] == list(range(matrix.shape[0]))
    for rater, result in enumerate(per_rater):
        direct = alpha_from_matrix(_without_rater(matrix, rater), level=level)
        without = result.alpha_without
        assert (without.reason, without.n_units, without.n_pairable_values, without.n_raters) == (
            direct.reason, direct.n_units, direct.n_pairable_values, direct.n_raters)
        assert without.alpha == direct.alpha or close(without.alpha, direct.alpha)
    pairs = pairwise_alpha(ratings)
    for a, b in itertools.combinations(range(matrix.shape[0]), 2):
        both = matrix[[a, b]]
        direct = alpha_from_matrix(both, level=level)
        assert pairs.value(a, b) == pairs.value(b, a)
        assert pairs.value(a, b) == direct.alpha or close(pairs.value(a, b), direct.alpha)
        assert pairs.n_units[a, b] == int((~np.isnan(both)).all(axis=0).sum())
    if overall.alpha is not None:
        _check_agreement_with_rest(matrix, level, per_rater, overall)


def _check_agreement_with_rest(matrix: np.ndarray, level: str, per_rater: list[agreement.RaterAgreement],
                               overall: agreement.AlphaResult) -> None:
    units = _pairable(matrix)
    difference, expected = _slow_difference(level, units)
    assert close(expected, overall.expected_disagreement)
    weighted_sum = total = 0
    for rater, result in enumerate(per_rater):
        means = [np.mean([difference(values[raters.index(rater)], v)
                          for other, v in zip(raters, values) if other != rater])
                 for _, raters, values in units if rater in raters]
        assert result.n_units == len(means)
        if not means:
            assert result.agreement_with_rest is None and result.reason == NO_PAIRABLE_VALUES
            continue
        assert close(result.observed_disagreement, float(np.mean(means)))
        assert close(result.agreement_with_rest, 1 - float(np.mean(means)) / expected)
        weighted_sum += result.observed_disagreement * result.n_units
        total += result.n_units
    # The raters' D_o(r), weighted by their pairable values, average to D_o.
    assert close(weighted_sum / total, overall.observed_disagreement)


def test_pairwise_on_the_paper_example() -> None:
    pairs = pairwise_alpha(Ratings.from_matrix(PAPER_4_OBSERVERS, level="nominal"))
    assert pairs.value(0, 0) is None and pairs.n_units[0, 0] == 0
    # Observers A and B agree on all nine units both coded except unit 6 (1 vs 2).
    assert pairs.n_units[0, 1] == 9
    assert close(pairs.value(0, 1), alpha_from_matrix(PAPER_4_OBSERVERS[[0, 1]], level="nominal").alpha)
