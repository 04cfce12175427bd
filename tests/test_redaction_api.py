"""/api/v1/interviews/{id}/redactions/: list (anyone who can see the interview), create (the contributor or a
curator), delete (curators only); bad input is a clear 4xx and writes nothing; it is in the OpenAPI schema."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from commons.models import AuditEvent, Interview, Redaction
from tests import factories

pytestmark = pytest.mark.django_db

TEXT = "Human: first question?\n\nAssistant: ANSWER-ONE-SECRET.\n\nHuman: second?\n\nAssistant: answer two."


@pytest.fixture
def interview(contributor):
    return factories.interview(contributor, text=TEXT, title="API redaction interview")


def _url(interview: Interview) -> str:
    return f"/api/v1/interviews/{interview.pk}/redactions/"


def test_contributor_redacts_and_everyone_who_sees_it_lists(interview, contributor, outsider, api_client_for):
    client = api_client_for(contributor)
    created = client.post(_url(interview), {"turn_index": 1, "reason": "names my colleague"}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["by"] == "contributor" and body["placeholder"] == "redacted by the contributor: names my colleague"
    assert body["and_earlier"] is False
    listed = api_client_for(outsider).get(_url(interview))
    assert listed.status_code == 200
    assert [r["turn_index"] for r in listed.json()] == [1]
    detail = api_client_for(outsider).get(f"/api/v1/interviews/{interview.pk}/").json()
    assert "ANSWER-ONE-SECRET" not in str(detail)
    assert AuditEvent.objects.filter(verb="interview.redact", target_id=str(interview.pk)).count() == 1


def test_a_turn_and_every_turn_before_it(interview, contributor, outsider, api_client_for):
    response = api_client_for(contributor).post(_url(interview), {"turn_index": 2, "and_earlier": True,
                                                                  "reason": "the opening is private"}, format="json")
    assert response.status_code == 201
    turns = api_client_for(outsider).get(f"/api/v1/interviews/{interview.pk}/").json()["turns"]
    assert [t["redaction"] is not None for t in turns] == [True, True, True, False]
    assert all(t["blocks"][0]["type"] == "redacted" for t in turns[:3])
    assert turns[3]["blocks"][0]["text"] == "answer two."


def test_others_cannot_redact(interview, outsider, reviewer, make_user, api_client_for):
    hidden = factories.interview(make_user("bob@example.org"), visibility=Interview.Visibility.PRIVATE)
    for user in (outsider, reviewer):
        client = api_client_for(user)
        assert client.post(_url(interview), {"turn_index": 1, "reason": "x"}, format="json").status_code == 403
        assert client.post(_url(hidden), {"turn_index": 1, "reason": "x"}, format="json").status_code == 404
        assert client.get(_url(hidden)).status_code == 404
    assert not Redaction.objects.exists()


@pytest.mark.parametrize("payload, field", [
    ({"turn_index": 1}, "reason"),
    ({"turn_index": 1, "reason": "   "}, "reason"),
    ({"turn_index": 1, "reason": "x" * 501}, "reason"),
    ({"turn_index": 99, "reason": "why"}, "turn_index"),
    ({"turn_index": -1, "reason": "why"}, "turn_index"),
    ({"turn_index": "one", "reason": "why"}, "turn_index"),
    ({"reason": "why"}, "turn_index"),
    ({"turn_index": 1, "reason": "why", "and_earlier": "perhaps"}, "and_earlier"),
])
def test_bad_input_is_400_and_writes_nothing(interview, contributor, api_client_for, payload, field):
    response = api_client_for(contributor).post(_url(interview), payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Redaction.objects.exists() and not AuditEvent.objects.filter(verb="interview.redact").exists()


def test_the_same_redaction_twice_is_400(interview, contributor, api_client_for):
    client = api_client_for(contributor)
    assert client.post(_url(interview), {"turn_index": 1, "reason": "a"}, format="json").status_code == 201
    again = client.post(_url(interview), {"turn_index": 1, "reason": "b"}, format="json")
    assert again.status_code == 400 and "already redacted" in again.json()["turn_index"][0]
    assert Redaction.objects.count() == 1


def test_only_curators_delete(interview, contributor, curator, outsider, api_client_for):
    created = api_client_for(contributor).post(_url(interview), {"turn_index": 1, "reason": "a"}, format="json").json()
    one = f"{_url(interview)}{created['id']}/"
    assert api_client_for(contributor).delete(one).status_code == 403
    assert api_client_for(outsider).delete(one).status_code == 403
    assert Redaction.objects.count() == 1
    curator_client = api_client_for(curator)
    assert curator_client.delete(f"{_url(interview)}999999/").status_code == 404
    assert curator_client.delete(one).status_code == 204
    assert not Redaction.objects.exists()
    assert AuditEvent.objects.filter(verb="interview.unredact", actor=curator).exists()
    assert "ANSWER-ONE-SECRET" in str(api_client_for(outsider).get(f"/api/v1/interviews/{interview.pk}/").json())


def test_curator_redaction_says_so_and_needs_the_second_factor(interview, curator, api_client_for):
    response = api_client_for(curator).post(_url(interview), {"turn_index": 3, "reason": "abusive"}, format="json")
    assert response.status_code == 201 and response.json()["by"] == "curator"
    # A curator whose token owner has no authenticator app is refused, and nothing is written.
    from allauth.mfa.models import Authenticator

    Authenticator.objects.filter(user=curator).delete()
    from rest_framework.test import APIClient

    from commons import services

    _, key = services.create_api_token(user=curator, name="no-2fa")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.post(_url(interview), {"turn_index": 1, "reason": "x"}, format="json").status_code == 403
    assert client.delete(f"{_url(interview)}{response.json()['id']}/").status_code == 403
    assert Redaction.objects.count() == 1


def test_in_the_openapi_schema(client: Client):
    schema = client.get(reverse("schema"), {"format": "json"}).json()
    path = schema["paths"]["/api/v1/interviews/{id}/redactions/"]
    assert {"get", "post"} <= set(path)
    assert "delete" in schema["paths"]["/api/v1/interviews/{id}/redactions/{redaction_id}/"]
    turn = schema["components"]["schemas"]["Turn"]["properties"]
    assert "redaction" in turn


def test_web_form_bad_input_is_400(interview, contributor):
    client = Client()
    client.force_login(contributor)
    response = client.post(reverse("interview_redact", args=[interview.pk]), {"turn_index": 42, "reason": "why"})
    assert response.status_code == 400 and "no turn #42" in response.content.decode()
    response = client.post(reverse("interview_redact", args=[interview.pk]), {"turn_index": 1, "reason": ""})
    assert response.status_code == 400
    assert not Redaction.objects.exists()
    ok = client.post(reverse("interview_redact", args=[interview.pk]), {"turn_index": 1, "reason": "ok"})
    assert ok.status_code == 302 and Redaction.objects.get().by == "contributor"


def test_curator_redacts_on_the_web_with_the_second_factor(interview, curator_client, outsider):
    response = curator_client.post(reverse("interview_redact", args=[interview.pk]),
                                   {"turn_index": 2, "and_earlier": "on", "reason": "abusive opening"})
    assert response.status_code == 302
    redaction = Redaction.objects.get()
    assert (redaction.by, redaction.turn_index, redaction.and_earlier) == ("curator", 2, True)
    public = Client().get(interview.get_absolute_url()).content.decode()
    assert public.count("redacted by a curator: abusive opening") == 3
    assert "ANSWER-ONE-SECRET" not in public
    assert "answer two." in public


def test_demo_data_has_one_redaction(db):
    from reviews.synthetic.demo_interviews import load_demo

    load_demo(interviews=3)
    load_demo(interviews=3)  # again: still one
    redaction = Redaction.objects.get()
    assert redaction.by == "contributor"
    page = Client().get(redaction.interview.get_absolute_url()).content.decode()
    assert "redacted by the contributor: example redaction in the synthetic demo" in page


def test_redact_page_outsider_404_member_403(interview, outsider, make_user):
    private = factories.interview(make_user("bob@example.org"), visibility=Interview.Visibility.PRIVATE)
    client = Client()
    client.force_login(outsider)
    assert client.get(reverse("interview_redact", args=[private.pk])).status_code == 404
    assert client.get(reverse("interview_redact", args=[interview.pk])).status_code == 403
    assert client.post(reverse("interview_redact", args=[interview.pk]), {"turn_index": 1, "reason": "x"}
                       ).status_code == 403
    assert Client().get(reverse("interview_redact", args=[interview.pk])).status_code == 302  # to sign in
    assert not Redaction.objects.exists()
