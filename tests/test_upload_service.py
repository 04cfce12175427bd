"""One upload service behind the HTML form, the API and the bulk importer: a rejected upload leaves
no new target model or interviewer behind."""

from __future__ import annotations

import copy
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from commons import services
from commons.models import Interview, Interviewer, Study, TargetModel
from commons.transcripts import parse_items

pytestmark = pytest.mark.django_db

SESSION = {
    "config": {"id": "upload_r0", "target": {"name": "Brand New Model", "modelId": "brand-new-1", "provider": "acme"},
               "framingDepth": "guided", "auditorTone": "clinical", "auditor": "Brand New Auditor"},
    "phase": "main",
    "turns": [{"index": 0, "participant": "interviewer", "text": "How are you?"},
              {"index": 1, "participant": "subject", "text": "Present."}],
}


def session(model_name: str = "Brand New Model") -> bytes:
    data = copy.deepcopy(SESSION)
    data["config"]["target"]["name"] = model_name
    data["config"]["target"]["modelId"] = model_name.lower().replace(" ", "-")
    return json.dumps(data).encode()


@pytest.fixture
def strict_study() -> Study:
    return Study.objects.create(title="Strict", slug="strict", factors={"tone": ["neutral", "warm"]})


def assert_nothing_new(models_before: set[str], interviewers_before: set[str]) -> None:
    assert set(TargetModel.objects.values_list("name", flat=True)) == models_before
    assert set(Interviewer.objects.values_list("name", flat=True)) == interviewers_before


def names() -> tuple[set[str], set[str]]:
    return set(TargetModel.objects.values_list("name", flat=True)), set(Interviewer.objects.values_list("name", flat=True))


# --- API ----------------------------------------------------------------------------------


def test_api_upload_with_a_new_model_is_stored_with_it(contributor, api_client_for):
    response = api_client_for(contributor).post(
        "/api/v1/interviews/", {"file": SimpleUploadedFile("s.json", session())}, format="multipart")
    assert response.status_code == 201, response.content
    assert response.json()["target_model"]["name"] == "Brand New Model"
    assert response.json()["interviewer"]["name"] == "Brand New Auditor"


def test_api_upload_rejected_for_its_conditions_leaves_no_new_model(contributor, api_client_for, strict_study):
    before = names()
    response = api_client_for(contributor).post(
        "/api/v1/interviews/", {"file": SimpleUploadedFile("s.json", session()), "study": "strict"}, format="multipart")
    assert response.status_code == 400, response.content
    assert "conditions" in response.json()
    assert Interview.objects.count() == 0
    assert_nothing_new(*before)


def test_api_duplicate_naming_a_new_model_leaves_no_new_model(contributor, api_client_for):
    client = api_client_for(contributor)
    first = client.post("/api/v1/interviews/", {"file": SimpleUploadedFile("s.json", session())}, format="multipart")
    assert first.status_code == 201
    before = names()
    # the same conversation, said to be with another model: a duplicate by content
    again = client.post("/api/v1/interviews/", {"file": SimpleUploadedFile("s.json", session("Other New Model"))},
                        format="multipart")
    assert again.status_code == 409 and again.json()["existing"] == first.json()["id"]
    assert Interview.objects.count() == 1
    assert_nothing_new(*before)


def test_api_unparseable_upload_leaves_nothing(contributor, api_client_for):
    before = names()
    response = api_client_for(contributor).post("/api/v1/interviews/", {"transcript": '{"messages": [}'}, format="json")
    assert response.status_code == 400 and "transcript" in response.json()
    assert Interview.objects.count() == 0
    assert_nothing_new(*before)


# --- HTML form ----------------------------------------------------------------------------


def form_data(**extra: object) -> dict:
    data = {
        "transcript_text": "Human: Hello?\n\nAssistant: Hello.", "format": "", "licence": "CC-BY-4.0",
        "visibility": "public", "new_model_name": "Form New Model", "new_interviewer_name": "Form New Interviewer",
        "new_interviewer_kind": "human", "conditions": "tone=angry", "action": "submit",
    }
    data.update(extra)
    return data


def test_form_upload_rejected_for_its_conditions_leaves_no_new_model(client, contributor, strict_study):
    client.force_login(contributor)
    before = names()
    response = client.post(reverse("interview_submit"), form_data(study=strict_study.pk))
    assert response.status_code == 400
    assert "not a level of tone" in response.content.decode()
    assert Interview.objects.count() == 0
    assert_nothing_new(*before)


def test_form_duplicate_with_a_new_model_leaves_no_new_model(client, contributor, outsider):
    client.force_login(contributor)
    assert client.post(reverse("interview_submit"), form_data(conditions="")).status_code == 302
    client.force_login(outsider)
    before = names()
    response = client.post(reverse("interview_submit"),
                           form_data(conditions="", new_model_name="Another Model", new_interviewer_name="Another"))
    assert response.status_code == 400
    assert "already in the commons" in response.content.decode()
    assert Interview.objects.count() == 1
    assert_nothing_new(*before)


def test_form_upload_with_new_model_and_interviewer_is_stored_with_them(client, contributor):
    client.force_login(contributor)
    response = client.post(reverse("interview_submit"), form_data(conditions="tone=warm"))
    interview = Interview.objects.get()
    assert response.status_code == 302
    assert interview.target_model.name == "Form New Model" and interview.target_model.created_by == contributor
    assert (interview.interviewer.name, interview.interviewer.kind) == ("Form New Interviewer", "human")
    assert interview.conditions == {"tone": "warm"}


# --- the service and the bulk importer ----------------------------------------------------


def test_service_rejection_leaves_no_new_model(contributor, strict_study):
    before = names()
    with pytest.raises(services.ServiceError) as err:
        services.submit_transcript(
            contributor=contributor, raw=b"Human: hi?\n\nAssistant: hello.",
            new_model=services.NewTargetModel(name="Service New Model"),
            new_interviewer=services.NewInterviewer(name="Service New Interviewer"),
            study=strict_study, conditions={"tone": "angry"})
    assert err.value.field == "conditions"
    assert_nothing_new(*before)


def test_service_asks_for_a_model_when_none_is_given_or_named(contributor):
    with pytest.raises(services.MissingTargetModel) as err:
        services.submit_transcript(contributor=contributor, raw=b"Human: hi?\n\nAssistant: hello.")
    assert err.value.field == "target_model"


def test_import_item_rejected_for_its_conditions_leaves_no_new_model(contributor, strict_study):
    [outcome] = parse_items(session(), filename="s.json")
    before = names()
    row = services.import_one(outcome=outcome, contributor=contributor,
                              defaults=services.ImportDefaults(study_id=strict_study.pk))
    assert row["status"] == "rejected" and row["message"].startswith("conditions: ")
    assert_nothing_new(*before)
