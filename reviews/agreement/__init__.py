"""Krippendorff's alpha for review scores: pure numpy, no Django.

Definition
----------
Only *pairable* values count: values in units (interviews) that carry two or more ratings
(m_u >= 2). A unit rated once says nothing about agreement and is ignored.

One pass over the ratings gives, for each pairable unit u, the count n_uc of each value c. They
make the coincidence matrix and its margins::

    o_ck = sum_u (n_uc * n_uk - [c = k] * n_uc) / (m_u - 1)
    n_c  = sum_k o_ck = sum_u n_uc          n = sum_c n_c   (the pairable values)

and with a difference function delta²_ck (a small V x V matrix over the distinct values)::

    D_o = 1/n          * sum_ck o_ck      * delta²_ck     observed disagreement
    D_e = 1/(n (n-1))  * sum_ck n_c * n_k * delta²_ck     disagreement expected by chance
    alpha = 1 - D_o / D_e

The difference function by level of measurement:

- nominal:  [c != k]
- ordinal:  (sum_{g=c..k} n_g - (n_c + n_k) / 2)²
- interval: (c - k)²
- ratio:    ((c - k) / (c + k))², taken as 0 when c + k = 0 (as the ``krippendorff`` package does)

"Ordinal" is Krippendorff's rank-based metric (Krippendorff 2011, "Computing Krippendorff's
Alpha-Reliability"; Content Analysis, 2004/2019), not interval alpha on the codes: the distance
between c and k is the number of pairable values from c to k, the two end values counted by half.
It depends only on the order of the values and on how often each is used, not on their spacing.
Equivalently each value sits at its mid-rank r_c = sum_{g<c} n_g + n_c / 2 and
delta²_ck = (r_k - r_c)², which is how it is computed here.

The value set and ``value_domain``
----------------------------------
Without a ``value_domain`` the values axis is the set of values observed: numbers in ascending
order, labels (nominal, or ordinal labels) in order of first appearance. With one, the axis is the
domain in the order given, so a scale's unobserved points can be supplied. What changes: values
outside the domain raise ``ValueError``; the coincidence and distance matrices are laid out over
the whole domain (one layout for every slice of a metric); for ordinal data the domain order, not
numeric sorting, is the order, which is how non-numeric ordinal labels get one. What does not
change is alpha: an unobserved value has n_g = 0, so it adds nothing to an ordinal distance nor to
either disagreement, and nominal, interval and ratio distances between observed values do not
involve other values. (The ``krippendorff`` package gives the same alpha with or without it.) So
ordinal alpha ignores gaps in the scale; use interval when the spacing matters.

Undefined alpha
---------------
Degenerate data never raise and never give NaN: ``alpha`` is None and ``reason`` is one of

- ``"no ratings"``
- ``"one rater"``: fewer than two raters gave a rating
- ``"no pairable values"``: no unit has two ratings
- ``"no variation"``: every pairable value is the same, so D_o = D_e = 0 and alpha is 0/0.
  Krippendorff points out that such data cannot show reliability: with no variation the raters
  have not shown they can tell units apart, so alpha = 1 ("perfect") would not be meaningful.
  We report it as undefined rather than as 1.
- ``"zero expected disagreement"``: D_e = 0 although two values occur (only ratio values c, -c).

Invalid input raises ``ValueError``: mismatched lengths, non-numeric values at a numeric level,
infinite values, values outside ``value_domain``, a rater rating one unit twice. Those are bugs
upstream, not data. None and NaN values are missing ratings ("cannot judge") and are dropped.

Modules
-------
``ratings`` codes the input once; ``alpha`` computes alpha and the coincidence matrix;
``bootstrap`` the percentile interval over resampled units; ``dispersion`` disagreement per unit;
``raters`` leave-one-rater-out and pairwise alpha. Import from the package: every public name is
here.
"""

from __future__ import annotations

from typing import Final

from reviews.agreement.alpha import (
    NO_PAIRABLE_VALUES,
    NO_RATINGS,
    NO_VARIATION,
    ONE_RATER,
    ZERO_EXPECTED_DISAGREEMENT,
    AlphaResult,
    Coincidences,
    alpha_from_matrix,
    coincidence_matrix,
    compute_alpha,
    krippendorff_alpha,
    pairable_units,
)
from reviews.agreement.bootstrap import (BootstrapInterval, BootstrapReplicates, bootstrap_ci, bootstrap_replicates,
                                        percentile_interval, probability_below)
from reviews.agreement.dispersion import UnitDispersion, unit_dispersion
from reviews.agreement.raters import PairwiseAlpha, RaterAgreement, pairwise_alpha, rater_agreement
from reviews.agreement.ratings import LEVELS, BoolArray, FloatArray, IntArray, Level, Ratings

__all__ = [
    "LEVELS",
    "NO_PAIRABLE_VALUES",
    "NO_RATINGS",
    "NO_VARIATION",
    "ONE_RATER",
    "ZERO_EXPECTED_DISAGREEMENT",
    "AlphaResult",
    "BoolArray",
    "BootstrapInterval",
    "BootstrapReplicates",
    "Coincidences",
    "FloatArray",
    "IntArray",
    "Level",
    "PairwiseAlpha",
    "RaterAgreement",
    "Ratings",
    "UnitDispersion",
    "alpha_from_matrix",
    "bootstrap_ci",
    "bootstrap_replicates",
    "percentile_interval",
    "probability_below",
    "coincidence_matrix",
    "compute_alpha",
    "krippendorff_alpha",
    "pairable_units",
    "pairwise_alpha",
    "rater_agreement",
    "unit_dispersion",
]

# Chunk sizes live here and the modules read them from the package when called, so one setting
# (or a test's monkeypatch of ``reviews.agreement``) reaches every statistic.
# Dense (units x values) count blocks are built this many cells at a time, so memory stays flat
# however many units there are.
_BLOCK_CELLS: Final = 1 << 22
# Cells of one (replicates x units) weight chunk in the bootstrap.
_BOOTSTRAP_CELLS: Final = 1 << 21
