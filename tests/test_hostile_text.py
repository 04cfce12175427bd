"""Transcript and name text that fights the page: bidi overrides are isolated, a 10 MB single-line
turn is shown clipped with a link to its full text (plain text, under the interview's visibility)."""

from __future__ import annotations

import pytest
from django.test import Client

from commons.models import Interview, TargetModel, Turn
from commons.templatetags.commons_tags import TURN_PREVIEW_CHARS
from tests.fixtures.environment import REPO

pytestmark = pytest.mark.django_db

RLO, LRI, PDI = "\u202e", "\u2066", "\u2069"


def test_bidi_overrides_in_names_and_turns_are_isolated(client, contributor, make_interview):
    interview = make_interview(contributor, text=f"Human: {RLO}reversed?\n\nAssistant: {LRI}odd{PDI} answer.")
    Turn.objects.filter(interview=interview, index=0).update(participant=f"{RLO}Mallory")
    TargetModel.objects.filter(pk=interview.target_model_id).update(name=f"{RLO}Model 9")
    page = client.get(f"/interviews/{interview.pk}/").content.decode()
    assert f'<bdi class="participant">{RLO}Mallory</bdi>' in page
    assert f"<bdi>{RLO}Model 9</bdi>" in page
    assert f'<div class="block text" dir="auto">{RLO}reversed?</div>' in page
    listing = client.get("/interviews/").content.decode()
    assert f"<bdi>{RLO}Model 9</bdi>" in listing
    css = (REPO / "static" / "css" / "site.css").read_text()
    assert "unicode-bidi: isolate" in css


def test_a_ten_megabyte_turn_is_clipped_and_its_full_text_is_one_link_away(contributor, outsider, make_interview):
    line = "word " * (2 * 1024 * 1024)  # 10 MB, one line
    interview = make_interview(contributor, text=f"Human: tell me everything\n\nAssistant: {line}",
                               visibility=Interview.Visibility.PRIVATE)
    owner = Client()
    owner.force_login(contributor)
    page = owner.get(f"/interviews/{interview.pk}/")
    assert page.status_code == 200 and len(page.content) < TURN_PREVIEW_CHARS + 100_000
    body = page.content.decode()
    link = f"/interviews/{interview.pk}/turns/1/text/"
    stored = Turn.objects.get(interview=interview, index=1).text
    assert f"{len(stored) - TURN_PREVIEW_CHARS:,} more characters not shown" in body and link in body
    full = owner.get(link)
    assert full.status_code == 200 and full["Content-Type"] == "text/plain; charset=utf-8"
    assert full.content.decode() == stored and len(stored) > 10_000_000
    stranger = Client()
    stranger.force_login(outsider)
    assert stranger.get(link).status_code == 404 and Client().get(link).status_code == 404
    for bad in ["99", "9" * 25]:
        assert owner.get(f"/interviews/{interview.pk}/turns/{bad}/text/").status_code == 404
    short = owner.get(f"/interviews/{interview.pk}/turns/0/text/")
    assert short.content.decode() == "tell me everything"
