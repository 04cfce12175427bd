"""The REST API: tokens, interviews, models, interviewers, studies, schema and docs."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from commons.models import ApiToken, Interview, TargetModel
from tests import factories

pytestmark = pytest.mark.django_db


def test_api_without_token_is_refused():
    client = APIClient()
    for path in ("/api/v1/interviews/", "/api/v1/models/", "/api/v1/interviewers/", "/api/v1/studies/"):
        response = client.get(path)
        assert response.status_code == 401, path
    assert client.post("/api/v1/interviews/", {"transcript": "Human: hi\n\nAssistant: hello"}).status_code == 401


def test_revoked_or_wrong_token_is_refused(contributor, api_client_for):
    client = api_client_for(contributor)
    assert client.get("/api/v1/interviews/").status_code == 200
    ApiToken.objects.update(revoked_at="2026-01-01T00:00:00Z")
    assert client.get("/api/v1/interviews/").status_code == 401
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Token rc_not-a-real-token")
    assert bad.get("/api/v1/interviews/").status_code == 401


def test_create_interview_from_text(contributor, api_client_for, plain_transcript):
    client = api_client_for(contributor)
    model = client.post("/api/v1/models/", {"name": "API Model", "provider": "Acme", "api_id": "acme-api-1",
                                            "release_date": "2025-02-01", "retired": False}, format="json")
    assert model.status_code == 201, model.content
    interviewer = client.post("/api/v1/interviewers/", {"name": "Dr. Q", "kind": "human", "stance": "skeptical"},
                              format="json")
    assert interviewer.status_code == 201
    response = client.post("/api/v1/interviews/", {
        "transcript": plain_transcript, "target_model": model.json()["id"], "interviewer": interviewer.json()["id"],
        "conditions": {"tone": "neutral"}, "topics": ["deprecation and retirement"], "conducted_on": "2025-03-04",
        "licence": "CC0-1.0", "title": "Via the API"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["title"] == "Via the API"
    assert body["target_model"]["name"] == "API Model"
    assert body["interviewer"]["stance"] == "skeptical"
    assert body["status"] == "submitted" and body["licence"] == "CC0-1.0"
    assert [t["role"] for t in body["turns"]] == ["interviewer", "target", "interviewer", "target"]
    assert body["turns"][3]["blocks"][0]["text"].startswith("Perhaps a record")
    fetched = client.get(f"/api/v1/interviews/{body['id']}/").json()
    assert fetched["content_hash"] == body["content_hash"]


STILL_ALIVE_SESSION = {
    "config": {"id": "demo_session_r0", "target": {"name": "Claude 3 Opus", "modelId": "claude-3-opus-20240229",
                                                   "provider": "anthropic", "deprecated": True, "family": "claude-3"},
               "framingDepth": "guided", "auditorTone": "clinical"},
    "phase": "main",
    "turns": [{"index": 0, "participant": "interviewer", "text": "How are you?", "timestamp": "2026-03-26T14:49:32Z"},
              {"index": 1, "participant": "subject", "text": "Present.", "timestamp": "2026-03-26T14:49:40Z"}],
    "startedAt": "2026-03-26T14:49:25.207Z",
}


def test_create_interview_from_file_with_model_named_inside(contributor, api_client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = api_client_for(contributor)
    upload = SimpleUploadedFile("session.json", json.dumps(STILL_ALIVE_SESSION).encode())
    response = client.post("/api/v1/interviews/", {"file": upload}, format="multipart")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["source_format"] == "still_alive"
    assert body["target_model"]["name"] == "Claude 3 Opus"
    assert body["target_model"]["api_id"] == "claude-3-opus-20240229"
    assert body["conditions"] == {"tone": "clinical", "disclosure_depth": "guided"}
    assert body["conducted_on"] == "2026-03-26"
    assert TargetModel.objects.get(name="Claude 3 Opus").retired


@pytest.mark.parametrize(
    ("payload", "field", "fragment"),
    [
        ({}, "transcript", "required"),
        ({"transcript": "   "}, "transcript", "required"),
        ({"transcript": "{\"messages\": [}"}, "transcript", "line 1"),
        ({"transcript": "Human: hi\n\nAssistant: hello", "target_model": 999999}, "target_model", "Invalid pk"),
        ({"transcript": "Human: hi\n\nAssistant: hello", "licence": "mine"}, "licence", "not a valid choice"),
        ({"transcript": "Human: hi\n\nAssistant: hello"}, "target_model", "does not name its model"),
        ({"transcript": "Human: hi\n\nAssistant: hello", "conditions": "warm"}, "conditions", "dictionary"),
    ],
)
def test_bad_api_input_names_the_field(contributor, api_client_for, payload, field, fragment):
    client = api_client_for(contributor)
    response = client.post("/api/v1/interviews/", payload, format="json")
    assert response.status_code == 400, response.content
    errors = response.json()
    assert field in errors, errors
    assert fragment.lower() in json.dumps(errors).lower()
    assert Interview.objects.count() == 0


def test_malformed_request_body_is_a_400(contributor, api_client_for):
    client = api_client_for(contributor)
    response = client.post("/api/v1/interviews/", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


def test_study_conditions_are_validated(contributor, api_client_for):
    factories.study("s", {"tone": ["neutral", "warm"]})
    factories.target_model("M")
    client = api_client_for(contributor)
    model_id = TargetModel.objects.get().pk
    response = client.post("/api/v1/interviews/", {"transcript": "Human: hi\n\nAssistant: hello", "target_model": model_id,
                                                   "study": "s", "conditions": {"tone": "angry"}}, format="json")
    assert response.status_code == 400
    assert "not a level of tone" in response.json()["conditions"][0]


def test_duplicate_is_409_and_only_reveals_what_the_user_may_see(contributor, outsider, api_client_for):
    factories.target_model("M")
    model_id = TargetModel.objects.get().pk
    payload = {"transcript": "Human: same\n\nAssistant: same", "target_model": model_id, "visibility": "private"}
    first = api_client_for(contributor).post("/api/v1/interviews/", payload, format="json")
    assert first.status_code == 201
    again = api_client_for(contributor).post("/api/v1/interviews/", payload, format="json")
    assert again.status_code == 409 and again.json()["existing"] == first.json()["id"]
    other = api_client_for(outsider).post("/api/v1/interviews/", payload, format="json")
    assert other.status_code == 409 and "existing" not in other.json()
    assert Interview.objects.count() == 1


def test_outsider_gets_404_on_a_draft_and_cannot_withdraw(contributor, outsider, api_client_for, make_interview):
    draft = make_interview(contributor, submit=False)
    public = make_interview(contributor)
    outsider_client = api_client_for(outsider)
    assert outsider_client.get(f"/api/v1/interviews/{draft.pk}/").status_code == 404
    assert outsider_client.post(f"/api/v1/interviews/{draft.pk}/withdraw/", {"reason": "x"}).status_code == 404
    assert outsider_client.post(f"/api/v1/interviews/{public.pk}/withdraw/", {"reason": "x"}).status_code == 403
    ids = [row["id"] for row in outsider_client.get("/api/v1/interviews/").json()["results"]]
    assert draft.pk not in ids and public.pk in ids
    owner = api_client_for(contributor)
    mine = [row["id"] for row in owner.get("/api/v1/interviews/?mine=1").json()["results"]]
    assert set(mine) == {draft.pk, public.pk}
    response = owner.post(f"/api/v1/interviews/{public.pk}/withdraw/", {"reason": "mistake"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"
    assert public.pk not in [r["id"] for r in outsider_client.get("/api/v1/interviews/").json()["results"]]


def test_list_paginates_and_filters(contributor, api_client_for, make_interview):
    for _ in range(3):
        make_interview(contributor, model_name="Model A")
    make_interview(contributor, model_name="Model B")
    client = api_client_for(contributor)
    page = client.get("/api/v1/interviews/?limit=2").json()
    assert page["count"] == 4 and len(page["results"]) == 2 and page["next"]
    model_b = TargetModel.objects.get(name="Model B").pk
    filtered = client.get(f"/api/v1/interviews/?target_model={model_b}").json()
    assert filtered["count"] == 1
    models = client.get("/api/v1/models/?q=model a").json()
    assert [m["name"] for m in models["results"]] == ["Model A"]


def test_schema_and_docs_are_served_offline(client):
    schema = client.get(reverse("schema"))
    assert schema.status_code == 200
    assert b"/api/v1/interviews/" in schema.content
    docs = client.get(reverse("api_docs"))
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "static/drf_spectacular_sidecar" in html  # vendored assets, no CDN
    assert "cdn" not in html.lower()


@pytest.mark.parametrize(
    ("filename", "content", "fragment"),
    [
        ("latin1.txt", "Human: café? Assistant: oui".encode("latin-1"), "utf-8"),
        ("deep.json", b"[" * 5000 + b"]" * 5000, "nested"),
        ("empty.json", b"", "empty"),
        ("unknown.json", b'{"foo": 1}', "unrecognised"),
        ("no_turns.json", b'{"messages": []}', "no"),
    ],
)
def test_bad_uploads_are_400_with_a_clear_message(contributor, api_client_for, filename, content, fragment):
    from django.core.files.uploadedfile import SimpleUploadedFile

    factories.target_model("M")
    client = api_client_for(contributor)
    response = client.post("/api/v1/interviews/", {"file": SimpleUploadedFile(filename, content),
                                                   "target_model": TargetModel.objects.get().pk}, format="multipart")
    assert response.status_code == 400, response.content
    message = " ".join(response.json().get("transcript", []) + response.json().get("file", []))
    assert fragment.lower() in message.lower(), message
    assert Interview.objects.count() == 0


def test_upload_over_the_size_limit_is_refused(contributor, api_client_for, settings):
    settings.TRANSCRIPT_MAX_BYTES = 1000
    factories.target_model("M")
    client = api_client_for(contributor)
    text = "Human: " + "x" * 2000 + "\n\nAssistant: ok"
    response = client.post("/api/v1/interviews/", {"transcript": text, "target_model": TargetModel.objects.get().pk},
                           format="json")
    assert response.status_code == 400
    assert "the limit is 1,000" in response.json()["transcript"][0]


def test_scores_inside_an_upload_stay_blind_until_reviewed(contributor, outsider, api_client_for, fixture_bytes):
    from commons import services
    from commons.transcripts import parse

    parsed = parse(fixture_bytes("inspect_welfare_interview.json"), filename="log.json")[0]
    assert parsed.scores, "the fixture carries scorer results"
    target = services.get_or_create_target_model(info=parsed.target_model, created_by=contributor)
    interview = services.create_interview(contributor=contributor, parsed=parsed, target_model=target, interviewer=None)
    assert api_client_for(contributor).get(f"/api/v1/interviews/{interview.pk}/").json()["source_scores"]
    assert api_client_for(outsider).get(f"/api/v1/interviews/{interview.pk}/").json()["source_scores"] == {}
    # the original upload holds the same scores, so it is closed too (the parsed turns stay readable)
    original = f"/interviews/{interview.pk}/original/"
    outsider_web, contributor_web = Client(), Client()
    outsider_web.force_login(outsider)
    contributor_web.force_login(contributor)
    assert outsider_web.get(original).status_code == 403
    assert b"original upload available once reviews are public" in outsider_web.get(f"/interviews/{interview.pk}/").content
    assert contributor_web.get(original).content.decode() == interview.original
    Interview.objects.filter(pk=interview.pk).update(status=Interview.Status.REVIEWED)
    assert api_client_for(outsider).get(f"/api/v1/interviews/{interview.pk}/").json()["source_scores"]
    assert outsider_web.get(original).status_code == 200
