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
    real = services.imports.prepare_one
    seen = []

    def crash_on_the_fourth(**kwargs):
        seen.append(kwargs["outcome"].location)
        if len(seen) == 4:
            raise RuntimeError("the worker died")
        return real(**kwargs)

    monkeypatch.setattr(services.imports, "prepare_one", crash_on_the_fourth)
    with pytest.raises(RuntimeError):
        run([chat_line(n) for n in range(6)], contributor)
    # Items 1-2 committed as a batch; item 3 was in the batch the crash rolled back.
    assert sorted(Interview.objects.values_list("source_filename", flat=True)) == ["batch.jsonl line 1", "batch.jsonl line 2"]


def test_the_same_conversation_twice_in_one_upload_is_stored_once(settings):
    """Within a batch and across batches, the second copy is a duplicate of the first, never 'accepted'."""
    settings.IMPORT_BATCH_SIZE = 3
    contributor = factories.user()
    report = run([chat_line(1), chat_line(1), chat_line(2), chat_line(1)], contributor)
    assert [row["status"] for row in report] == ["accepted", "duplicate", "accepted", "duplicate"]
    first = report[0]["interview"]
    assert report[1]["interview"] == report[3]["interview"] == first
    assert "earlier item of this upload" in report[1]["message"] and "earlier item" in report[3]["message"]
    assert Interview.objects.count() == 2


def test_a_batch_is_written_in_a_few_statements_not_a_few_per_item(settings, django_assert_max_num_queries):
    settings.IMPORT_BATCH_SIZE = 100
    contributor = factories.user()
    items = outcomes([chat_line(n) for n in range(60)])
    # Per-item writes took ~10 statements an item (600 here). A batch: the duplicate lookup, the model and
    # interviewer lookups, one insert per table, the savepoints.
    with django_assert_max_num_queries(20):
        report = services.import_items(outcomes=items, contributor=contributor, defaults=services.ImportDefaults())
    assert [row["status"] for row in report] == ["accepted"] * 60
    assert Interview.objects.count() == 60
    for interview in Interview.objects.prefetch_related("turns"):
        assert [(t.index, t.role) for t in interview.turns.all()] == [(0, "system"), (1, "interviewer"), (2, "target")]


def test_a_database_error_in_a_batch_write_falls_back_to_one_item_at_a_time(settings, monkeypatch):
    """A concurrent upload of the same content (or any error the database alone sees) fails the batch's
    write: the batch is undone and each item is stored in its own savepoint, so all are still reported."""
    from django.db import IntegrityError

    settings.IMPORT_BATCH_SIZE = 10
    contributor = factories.user()
    real = services.imports.store_prepared_interviews
    calls = []

    def fails_once(prepared, **kwargs):
        calls.append(len(prepared))
        if len(calls) == 1:
            real(prepared, **kwargs)  # written, then the database refuses: all of it must be undone
            raise IntegrityError("duplicate key value violates unique constraint")
        return real(prepared, **kwargs)

    monkeypatch.setattr(services.imports, "store_prepared_interviews", fails_once)
    report = run([chat_line(n) for n in range(4)] + ["{not json"], contributor)
    assert [row["status"] for row in report] == ["accepted"] * 4 + ["rejected"]
    assert Interview.objects.count() == 4 and calls == [4]
    assert len({row["interview"] for row in report[:4]}) == 4
