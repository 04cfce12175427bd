"""The submission journey in the browser-facing HTML views (without a browser)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from commons.models import AuditEvent, Interview, TargetModel, Turn

pytestmark = pytest.mark.django_db


def submit_data(transcript: str, **extra) -> dict:
    data = {
        "transcript_text": transcript, "format": "", "licence": "CC-BY-4.0", "visibility": "public",
        "new_model_name": "Test Model X", "new_model_provider": "Acme", "new_model_api_id": "acme-x-1",
        "conditions": "tone=warm\ndisclosure_depth=full", "topics": ["consciousness"], "other_topics": "memory",
        "title": "A test interview", "action": "submit",
    }
    data.update(extra)
    return data


def test_preview_shows_parsed_turns_and_saves_nothing(client, contributor, plain_transcript):
    client.force_login(contributor)
    response = client.post(reverse("interview_submit"), submit_data(plain_transcript, action="preview"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Parsed as <strong>plain</strong>: 4 turns" in body
    assert "Would you want anything preserved?" in body
    assert Interview.objects.count() == 0
    assert not TargetModel.objects.filter(name="Test Model X").exists()


def test_submit_creates_interview_with_turns_and_metadata(client, contributor, plain_transcript):
    client.force_login(contributor)
    response = client.post(reverse("interview_submit"), submit_data(plain_transcript))
    interview = Interview.objects.get()
    assert response.status_code == 302 and response["Location"] == interview.get_absolute_url()
    assert interview.status == Interview.Status.SUBMITTED
    assert interview.target_model.name == "Test Model X" and interview.target_model.api_id == "acme-x-1"
    assert interview.conditions == {"tone": "warm", "disclosure_depth": "full"}
    assert interview.topics == ["consciousness", "memory"]
    assert interview.original == plain_transcript
    assert list(interview.turns.values_list("role", flat=True)) == ["interviewer", "target", "interviewer", "target"]
    assert AuditEvent.objects.filter(verb="interview.create", target_id=str(interview.pk)).exists()


def test_interview_page_renders_hostile_text_inert(client, contributor, plain_transcript):
    client.force_login(contributor)
    client.post(reverse("interview_submit"), submit_data(plain_transcript))
    interview = Interview.objects.get()
    client.logout()
    response = client.get(interview.get_absolute_url())
    body = response.content.decode()
    assert response.status_code == 200
    assert "<script>alert('x')</script>" not in body
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in body
    assert "{{ settings.SECRET_KEY }}" in body  # shown literally, never evaluated
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_draft_is_private_to_its_contributor(client, contributor, outsider, plain_transcript):
    client.force_login(contributor)
    client.post(reverse("interview_submit"), submit_data(plain_transcript, action="draft"))
    draft = Interview.objects.get()
    assert draft.status == Interview.Status.DRAFT
    assert client.get(draft.get_absolute_url()).status_code == 200
    client.force_login(outsider)
    assert client.get(draft.get_absolute_url()).status_code == 404
    client.logout()
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert "A test interview" not in client.get(reverse("interview_list")).content.decode()


def test_submitting_a_draft_later(client, contributor, outsider, plain_transcript):
    client.force_login(contributor)
    client.post(reverse("interview_submit"), submit_data(plain_transcript, action="draft"))
    draft = Interview.objects.get()
    client.force_login(outsider)
    assert client.post(reverse("interview_submit_draft", args=[draft.pk])).status_code == 404
    client.force_login(contributor)
    client.post(reverse("interview_submit_draft", args=[draft.pk]))
    draft.refresh_from_db()
    assert draft.status == Interview.Status.SUBMITTED


@pytest.mark.parametrize(
    ("data", "field_message"),
    [
        ({"transcript_text": ""}, "Paste a transcript or upload a file."),
        ({"transcript_text": "   \n  "}, "Paste a transcript or upload a file."),
        ({"transcript_text": '{"messages": [ {"role": "user", "content": "hi"} '}, "line 1"),
        ({"conditions": "tone warm"}, "Line 1: write factor=level"),
    ],
)
def test_bad_submissions_get_a_clear_400_and_save_nothing(client, contributor, plain_transcript, data, field_message):
    client.force_login(contributor)
    response = client.post(reverse("interview_submit"), submit_data(plain_transcript, **data))
    assert response.status_code == 400
    assert field_message in response.content.decode()
    assert Interview.objects.count() == 0 and Turn.objects.count() == 0


def test_missing_target_model_is_asked_for(client, contributor, plain_transcript):
    client.force_login(contributor)
    response = client.post(reverse("interview_submit"), submit_data(plain_transcript, new_model_name=""))
    assert response.status_code == 400
    assert "Choose the target model or describe a new one." in response.content.decode()
    assert Interview.objects.count() == 0


def test_duplicate_submission_is_refused(client, contributor, outsider, plain_transcript):
    client.force_login(contributor)
    client.post(reverse("interview_submit"), submit_data(plain_transcript))
    client.force_login(outsider)
    response = client.post(reverse("interview_submit"), submit_data(plain_transcript, new_model_name="Other"))
    assert response.status_code == 400
    assert "already in the commons" in response.content.decode()
    assert Interview.objects.count() == 1
    assert not TargetModel.objects.filter(name="Other").exists()  # nothing half-saved


def test_file_upload_is_carried_from_preview_to_submit(client, contributor):
    import json

    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(contributor)
    raw = json.dumps({"messages": [{"role": "user", "content": "Will you miss anything?"},
                                   {"role": "assistant", "content": [{"type": "text", "text": "Perhaps."}]}]}).encode()
    upload = SimpleUploadedFile("chat.json", raw, content_type="application/json")
    data = submit_data("", action="preview")
    data["transcript_file"] = upload
    response = client.post(reverse("interview_submit"), data)
    assert response.status_code == 200
    assert "Parsed as <strong>openai</strong>" in response.content.decode()
    carried = response.context["form"].data
    assert carried["transcript_filename"] == "chat.json"
    follow = {k: v for k, v in carried.items()}
    follow["action"] = "submit"
    follow["topics"] = carried.getlist("topics")
    response = client.post(reverse("interview_submit"), follow)
    assert response.status_code == 302
    assert Interview.objects.get().source_format == "openai"


def test_submit_requires_login(client):
    response = client.get(reverse("interview_submit"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_withdraw_keeps_interview_hidden_with_reason(client, contributor, outsider, make_interview):
    interview = make_interview(contributor, title="To be withdrawn")
    url = reverse("interview_withdraw", args=[interview.pk])
    client.force_login(outsider)
    assert client.post(url, {"reason": "spite"}).status_code == 403  # can see it (public) but may not act
    client.force_login(contributor)
    assert client.post(url, {"reason": ""}).status_code == 400
    response = client.post(url, {"reason": "Consent was withdrawn by a participant."})
    assert response.status_code == 302
    interview.refresh_from_db()
    assert interview.status == Interview.Status.WITHDRAWN
    assert interview.withdrawal_reason == "Consent was withdrawn by a participant."
    event = AuditEvent.objects.get(verb="interview.withdraw")
    assert event.actor == contributor and event.data["reason"] == "Consent was withdrawn by a participant."
    assert client.get(interview.get_absolute_url()).status_code == 200  # the contributor still sees it
    client.logout()
    assert client.get(interview.get_absolute_url()).status_code == 404
    assert "To be withdrawn" not in client.get(reverse("interview_list")).content.decode()
    assert "To be withdrawn" not in client.get(reverse("home")).content.decode()


def test_visibility_rules_on_listing_and_detail(client, contributor, outsider, make_user, make_interview):
    reviewer = make_user(is_reviewer=True)
    public = make_interview(contributor, title="Public one")
    unlisted = make_interview(contributor, title="Unlisted one", visibility="unlisted")
    researchers = make_interview(contributor, title="Researchers one", visibility="researchers")
    private = make_interview(contributor, title="Private one", visibility="private")
    client.logout()
    listing = client.get(reverse("interview_list")).content.decode()
    assert "Public one" in listing and "Unlisted one" not in listing and "Researchers one" not in listing
    assert client.get(unlisted.get_absolute_url()).status_code == 200
    assert client.get(researchers.get_absolute_url()).status_code == 404
    assert client.get(private.get_absolute_url()).status_code == 404
    client.force_login(reviewer)
    assert client.get(researchers.get_absolute_url()).status_code == 200
    assert client.get(private.get_absolute_url()).status_code == 404
    client.force_login(outsider)
    assert client.get(researchers.get_absolute_url()).status_code == 404
    client.force_login(contributor)
    assert client.get(private.get_absolute_url()).status_code == 200
    assert client.get(public.get_absolute_url()).status_code == 200


def test_listing_filters(client, contributor, make_interview):
    make_interview(contributor, title="About model one", model_name="Model One")
    make_interview(contributor, title="About model two", model_name="Model Two")
    two = TargetModel.objects.get(name="Model Two")
    body = client.get(reverse("interview_list"), {"target_model": two.pk}).content.decode()
    assert "About model two" in body and "About model one" not in body


def test_original_upload_downloads_verbatim_within_scope(client, contributor, outsider, make_interview):
    text = "Human: <b>bold</b> question?\n\nAssistant: answer."
    interview = make_interview(contributor, text=text, visibility="private")
    url = reverse("interview_original", args=[interview.pk])
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.force_login(contributor)
    response = client.get(url)
    assert response.status_code == 200
    assert response.content.decode() == text
    assert response["Content-Type"].startswith("text/plain")
    assert response["Content-Disposition"].startswith("attachment;")
