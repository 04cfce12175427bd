"""The synthetic corpus (`generate_corpus`) writes every column reviews have, `unblinded_at` included, so the
explorer and agreement read its values as blind ones (before, the COPY failed with KeyError: 'unblinded_at')."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from reviews.models import Review
from reviews.selectors import blind_scores

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_small_synthetic_corpus_loads_and_every_value_is_blind():
    call_command("generate_corpus", interviews=12, no_refresh=True, verbosity=0)
    humans = Review.objects.filter(kind=Review.Kind.HUMAN, source="")
    assert humans.exists() and not humans.filter(unblinded_at__isnull=True).exists()
    assert not Review.objects.filter(kind=Review.Kind.JUDGE, unblinded_at__isnull=False).exists()
    from reviews.models import Score

    assert blind_scores().count() == Score.objects.filter(revision__is_current=True).count()
