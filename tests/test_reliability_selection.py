"""The metric versions a full recompute visits: the EXISTS form selects exactly the rows the old OR of joins did."""

from __future__ import annotations

import pytest
from django.db.models import Q
from django.utils import timezone

from commons.models import Interview
from reviews.models import MetricVersion
from reviews.reliability.models import AgreementResult
from reviews.reliability.selectors import metric_versions_with_scores
from tests import factories
from tests.factories import Corpus

pytestmark = pytest.mark.django_db


def before_the_fix():
    """The selector as it was (two LEFT JOINs ORed under DISTINCT), kept here as the reference."""
    return (MetricVersion.objects.filter(Q(scores__isnull=False) | Q(agreement_results__isnull=False)).distinct()
            .select_related("metric").order_by("metric__slug", "number"))


def result(version: MetricVersion, slice_value: str = "") -> AgreementResult:
    return AgreementResult.objects.create(metric_version=version, audience="internal", slice_type="all",
                                          slice_value=slice_value, slice_label="All", level=version.scale_type,
                                          alpha=0.5, inputs_fingerprint="x", computed_at=timezone.now())


def test_selected_versions_equal_before_and_after(contributor) -> None:
    c = Corpus(contributor)
    model, judge = c.model("Model A"), factories.judge("Judge")
    scored = c.metric("scored", number=1)
    scored_v2 = c.metric("scored", number=2)  # a second version of the same metric, never scored
    both = c.metric("both")
    only_results = c.metric("only-results", scale="ordinal", values=["a", "b"])
    c.metric("neither")
    interviews = [c.interview(model), c.interview(model, status=Interview.Status.WITHDRAWN)]
    for replicate in range(3):
        for interview in interviews:  # several score rows per version: the joins multiplied these
            c.judge(interview, judge, replicate, {scored: replicate, both: None})
    for value in ("", "x", "y"):
        result(both, value)
        result(only_results, value)
    assert scored_v2.pk and not scored_v2.scores.exists()
    after = list(metric_versions_with_scores())
    assert after == list(before_the_fix())
    assert [(v.metric.slug, v.number) for v in after] == [("both", 1), ("only-results", 1), ("scored", 1)]
