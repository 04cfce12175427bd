"""Bulk imports save items in batches (one transaction a batch, a savepoint an item): a failing item rolls
back alone, lookups remembered across items never point at a row a rolled-back item created, and a crash
loses only the open batch."""

from __future__ import annotations

import pytest

from commons import services
from commons.models import Interview, TargetModel
from commons.transcripts import parse_items
from tests import factories
from tests.fixtures.payloads import chat_line, jsonl

pytestmark = pytest.mark.django_db


def outcomes(lines: list[str]):
    return list(parse_items(jsonl(lines), filename="batch.jsonl", limits=services.import_limits()))


def run(lines: list[str], contributor) -> list[dict]:
    return services.import_items(outcomes=outcomes(lines), contributor=contributor,
                                 defaults=services.ImportDefaults())


def test_items_across_batches_are_all_stored_in_order(settings):
    settings.IMPORT_BATCH_SIZE = 2
    contributor = factories.user()
    report = run([chat_line(n) for n in range(5)], contributor)
    assert [row["status"] for row in report] == ["accepted"] * 5
    assert [row["location"] for row in report] == [f"batch.jsonl line {n}" for n in range(1, 6)]
    assert Interview.objects.count() == 5
    assert TargetModel.objects.filter(name="gpt-test").count() == 1


def test_a_rejected_item_that_created_a_model_does_not_poison_the_next(settings):
    settings.IMPORT_BATCH_SIZE = 10
    contributor = factories.user()
    run([chat_line(1)], contributor)
    # The second line repeats the first conversation under a new model name: the model is created, then
    # the duplicate is found and the item's savepoint rolls the model back. The third line is new and
    # names the same model, which must be created again, not taken from a memo of the vanished row.
    report = run([chat_line(7), chat_line(1, model="Fresh Model"), chat_line(2, model="Fresh Model")], contributor)
    assert [row["status"] for row in report] == ["accepted", "duplicate", "accepted"]
    stored = Interview.objects.get(pk=report[2]["interview"])
    assert stored.target_model.name == "Fresh Model"
    assert TargetModel.objects.filter(name="Fresh Model").count() == 1


def test_a_crash_loses_only_the_open_batch(settings, monkeypatch):
    settings.IMPORT_BATCH_SIZE = 2
    contributor = factories.user()
    real = services.imports.import_one
    seen = []

    def crash_on_the_fourth(**kwargs):
        seen.append(kwargs["outcome"].location)
        if len(seen) == 4:
            raise RuntimeError("the worker died")
        return real(**kwargs)

    monkeypatch.setattr(services.imports, "import_one", crash_on_the_fourth)
    with pytest.raises(RuntimeError):
        run([chat_line(n) for n in range(6)], contributor)
    # Items 1-2 committed as a batch; item 3 was in the batch the crash rolled back.
    assert sorted(Interview.objects.values_list("source_filename", flat=True)) == ["batch.jsonl line 1", "batch.jsonl line 2"]
