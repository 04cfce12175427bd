"""/curation/audit/: curators (past the second factor) read the append-only audit log, filter it by actor,
verb, object and date, and export the same selection as CSV; nobody else sees it."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from commons import services
from commons.models import AuditEvent
from tests.fixtures.mfa import sign_in_with_second_factor

pytestmark = pytest.mark.django_db


def row(verb: str) -> str:
    return f"<code>{verb}</code>"


@pytest.fixture
def events(curator, contributor, outsider, make_interview):
    interview = make_interview(contributor)
    services.withdraw_interview(interview=interview, actor=curator, reason="=HYPERLINK(\"x\") consent")
    services.set_role(user=outsider, role="reviewer", granted=True, actor=curator)
    old = AuditEvent.objects.create(actor=contributor, verb="interview.submit", target_type="Interview",
                                    target_id=str(interview.pk), data={})
    AuditEvent.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))
    return interview


def test_a_curator_filters_the_log_and_exports_it(curator, events):
    client = sign_in_with_second_factor(Client(), curator)
    page = client.get("/curation/audit/")
    body = page.content.decode()
    assert page.status_code == 200 and row("interview.withdraw") in body and row("role.grant") in body
    only = client.get("/curation/audit/?verb=interview.withdraw").content.decode()
    assert row("interview.withdraw") in only and row("interview.submit") not in only
    by_prefix = client.get("/curation/audit/?verb=interview.").content.decode()
    assert row("interview.withdraw") in by_prefix and row("interview.create") in by_prefix
    assert row("role.grant") not in by_prefix
    by_actor = client.get("/curation/audit/?actor=alice@").content.decode()  # the contributor
    assert row("interview.create") in by_actor and row("interview.withdraw") not in by_actor
    since = (timezone.now() - timedelta(days=7)).date().isoformat()
    recent = client.get(f"/curation/audit/?target_id={events.pk}&from={since}").content.decode()
    assert row("interview.withdraw") in recent and row("interview.submit") not in recent
    export = client.get(f"/curation/audit/?verb=interview.withdraw&format=csv")
    assert export["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert rows[0] == ["time", "actor", "verb", "target_type", "target_id", "data"]
    assert [r[2] for r in rows[1:]] == ["interview.withdraw"] and rows[1][1] == curator.email
    assert '"reason": "=HYPERLINK' in rows[1][5]  # the data as JSON text
    AuditEvent.objects.create(actor=None, verb="import.start", target_type="=SUM(A1:A9)", target_id="1", data={})
    hostile = client.get("/curation/audit/?verb=import.start&format=csv")
    (cells,) = list(csv.reader(io.StringIO(b"".join(hostile.streaming_content).decode())))[1:]
    assert cells[1] == "" and cells[3] == "'=SUM(A1:A9)"  # a spreadsheet shows it, never runs it


def test_a_bad_date_is_a_400_and_nobody_else_sees_the_log(curator, outsider, events):
    client = sign_in_with_second_factor(Client(), curator)
    bad = client.get("/curation/audit/?from=yesterday")
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.content.decode()
    member = Client()
    member.force_login(outsider)
    assert member.get("/curation/audit/").status_code == 403
    assert member.get("/curation/audit/?format=csv").status_code == 403
    assert Client().get("/curation/audit/").status_code == 302  # to the login page
