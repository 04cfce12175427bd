"""The coverage page's interval on a share: Wilson's score interval, against published values."""

from __future__ import annotations

import pytest

from reviews.explorer.stats import wilson_interval

pytestmark = pytest.mark.no_django


@pytest.mark.parametrize(("k", "n", "low", "high"), [
    # Newcombe (1998), "Two-sided confidence intervals for the single proportion", Table II, method 3.
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0, 0.1611),
    (1, 29, 0.0061, 0.1718),
])
def test_wilson_interval_equals_published_values(k, n, low, high) -> None:
    found = wilson_interval(k, n)
    assert found is not None
    assert found[0] == pytest.approx(low, abs=1e-4) and found[1] == pytest.approx(high, abs=1e-4)


def test_no_interviews_no_interval() -> None:
    assert wilson_interval(0, 0) is None
