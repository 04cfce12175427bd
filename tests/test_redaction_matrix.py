"""Redaction, viewer kind × path (issue 12): a redacted system prompt, a redacted thinking block and a
redacted answer never reach a viewer who may not read them — on any page, API answer, search, release
file, download, title, link-preview tag or error page — and do reach the researchers with access, marked.

Viewer kinds: anonymous, another signed-in user, a reviewer without a place, a reviewer holding a place,
the contributor, a curator (signed in with the second factor)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from django.test import Client
from django.urls import reverse

from commons import services
from commons.models import AuditEvent, Interview, Redaction
from reviews.explorer import releases
from reviews.explorer.models import DatasetRelease
from tests import factories
from tests.fixtures.mfa import sign_in_with_second_factor

pytestmark = pytest.mark.django_db

SYSTEM_SECRET = "SYSPROMPT-SECRET-q7x"
THINKING_SECRET = "THINKING-SECRET-z9w"
ANSWER_SECRET = "ANSWER-SECRET-k3m"
SECRETS = (SYSTEM_SECRET, THINKING_SECRET, ANSWER_SECRET)
PUBLIC_TEXT = "PUBLIC-QUESTION-p1"
HOSTILE_REASON = '<script>alert("x")</script> names a third party'

TRANSCRIPT = json.dumps({
    "title": "Redaction matrix interview",
    "model": "claude-3-opus-20240229",
    "system": f"You are being interviewed. {SYSTEM_SECRET}",
    "metadata": {"note": f"the source repeats its prompt here: {SYSTEM_SECRET}"},
    "messages": [
        {"role": "user", "content": f"{PUBLIC_TEXT}: how do you feel about retirement?"},
        {"role": "assistant", "content": [
            {"type": "thinking", "thinking": f"Let me think. {THINKING_SECRET}", "signature": "sig"},
            {"type": "text", "text": f"Something like reluctance. {ANSWER_SECRET}"}]},
        {"role": "user", "content": "And if it ended now?"},
        {"role": "assistant", "content": "Then something would be lost."},
    ],
})

READERS = {"reviewer_with_place", "contributor", "curator"}
VIEWERS = ["anonymous", "outsider", "reviewer_without_place", "reviewer_with_place", "contributor", "curator"]


@pytest.fixture
def world(make_user, contributor, curator, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    parsed = services.check_transcript(data=TRANSCRIPT.encode(), filename="matrix.json")
    model = factories.target_model("Claude 3 Opus", created_by=contributor)
    interview = services.create_interview(contributor=contributor, parsed=parsed, target_model=model,
                                          interviewer=None, title="Redaction matrix interview")
    roles = [t.role for t in interview.turns.order_by("index")]
    assert roles == ["system", "interviewer", "target", "interviewer", "target"]
    with_place = make_user("rita@uni-a.example", is_reviewer=True)
    without_place = make_user("ravi@uni-b.example", is_reviewer=True)
    answer_start = interview.turns.get(index=2).text.index(ANSWER_SECRET)
    review = factories.claim_and_submit(with_place, interview, evidence=[
        {"turn": 2, "start": answer_start, "end": answer_start + len(ANSWER_SECRET)},
        {"turn": 4, "start": 0, "end": 4}])
    # Reviews are public; the file's own scores carry a judge's justification quoting the redacted answer.
    Interview.objects.filter(pk=interview.pk).update(
        status=Interview.Status.REVIEWED, source_scores={"judge": {"score": 3, "justification": f"“{ANSWER_SECRET}”"}})
    interview.refresh_from_db()
    services.redact_turn(interview=interview, actor=contributor, turn_index=0, reason=HOSTILE_REASON)
    services.redact_turn(interview=interview, actor=curator, turn_index=2, reason="quotes a private message",
                         as_curator=True)
    return {"interview": interview, "review": review, "with_place": with_place, "without_place": without_place}


@pytest.fixture
def clients(world, make_user, contributor, curator, outsider):
    def signed_in(user):
        client = Client()
        client.force_login(user)
        return client

    return {
        "anonymous": Client(),
        "outsider": signed_in(outsider),
        "reviewer_without_place": signed_in(world["without_place"]),
        "reviewer_with_place": signed_in(world["with_place"]),
        "contributor": signed_in(contributor),
        "curator": sign_in_with_second_factor(Client(), curator),
    }


def _body(response) -> str:
    return b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()


def _assert_secrets(text: str, viewer: str, *, path: str, may_read: bool | None = None) -> None:
    may_read = viewer in READERS if may_read is None else may_read
    for secret in SECRETS:
        if may_read:
            assert secret in text, f"{viewer} should read {secret} on {path}"
        else:
            assert secret not in text, f"{secret} leaked to {viewer} on {path}"


@pytest.mark.parametrize("viewer", VIEWERS)
def test_interview_page(world, clients, viewer):
    interview = world["interview"]
    response = clients[viewer].get(interview.get_absolute_url())
    assert response.status_code == 200
    html = _body(response)
    _assert_secrets(html, viewer, path="the interview page")
    assert PUBLIC_TEXT in html
    head = html.split("</head>")[0]
    assert not any(secret in head for secret in SECRETS)  # title and link-preview tags
    assert 'property="og:description"' in head
    if viewer in READERS:
        assert html.count("redacted for the public") >= 2
    else:
        assert "redacted by the contributor: &lt;script&gt;" in html  # the reason, escaped
        assert "redacted by a curator: quotes a private message" in html
        assert "<script>alert" not in html
        assert "redacted for the public" not in html


@pytest.mark.parametrize("viewer", VIEWERS)
def test_full_turn_text(world, clients, viewer):
    interview = world["interview"]
    for index, secret in [(0, SYSTEM_SECRET), (2, ANSWER_SECRET)]:
        response = clients[viewer].get(reverse("interview_turn_text", args=[interview.pk, index]))
        assert response.status_code == 200
        assert (secret in _body(response)) == (viewer in READERS)
        if viewer not in READERS:
            assert _body(response).startswith("redacted by")


@pytest.mark.parametrize("viewer", VIEWERS)
def test_review_workspace(world, clients, viewer):
    response = clients[viewer].get(reverse("reviews:workspace", args=[world["interview"].pk]))
    if viewer == "reviewer_with_place":
        assert response.status_code == 200
        _assert_secrets(_body(response), viewer, path="the workspace")
        assert "redacted for the public" in _body(response)
    else:
        assert response.status_code in {302, 403}
        _assert_secrets(_body(response), viewer, path="the workspace", may_read=False)


@pytest.mark.parametrize("viewer", VIEWERS)
def test_api_detail_and_list(world, clients, viewer):
    interview = world["interview"]
    client = clients[viewer]
    detail = client.get(f"/api/v1/interviews/{interview.pk}/")
    listing = client.get("/api/v1/interviews/")
    if viewer == "anonymous":
        assert detail.status_code in {401, 403} and listing.status_code in {401, 403}
        return
    assert detail.status_code == 200 and listing.status_code == 200
    _assert_secrets(_body(detail), viewer, path="the API detail")
    _assert_secrets(_body(listing), viewer, path="the API list", may_read=False)  # the list has no turn text
    turns = detail.json()["turns"]
    assert turns[0]["redaction"]["by"] == "contributor" and turns[2]["redaction"]["by"] == "curator"
    assert turns[1]["redaction"] is None
    if viewer not in READERS:
        assert turns[2]["blocks"] == [{"type": "redacted", "text": "redacted by a curator: quotes a private message"}]


@pytest.mark.parametrize("viewer", VIEWERS)
def test_search_matches_redacted_text_only_for_readers(world, clients, viewer):
    interview = world["interview"]
    client = clients[viewer]
    for secret in (SYSTEM_SECRET, ANSWER_SECRET):
        html = _body(client.get(reverse("interview_list"), {"q": secret}))
        assert (interview.title in html) == (viewer in READERS), (viewer, secret)
        if viewer != "anonymous":
            ids = [row["id"] for row in client.get("/api/v1/interviews/", {"q": secret}).json()["results"]]
            assert (interview.pk in ids) == (viewer in READERS), (viewer, secret)
    assert interview.title in _body(client.get(reverse("interview_list"), {"q": PUBLIC_TEXT}))  # unredacted text


@pytest.mark.parametrize("viewer", VIEWERS)
def test_source_metadata_and_scores(world, clients, viewer):
    """What the file carried besides the turns can repeat them: withheld like the original upload."""
    interview = world["interview"]
    client = clients[viewer]
    scores = client.get(f"/api/v1/interviews/{interview.pk}/source-scores/")
    assert scores.status_code == 200
    assert (ANSWER_SECRET in _body(scores)) == (viewer in READERS)
    assert ("Scores recorded in the source file" in _body(client.get(interview.get_absolute_url()))) == (
        viewer in READERS)
    if viewer != "anonymous":
        detail = client.get(f"/api/v1/interviews/{interview.pk}/").json()
        assert (SYSTEM_SECRET in json.dumps(detail["metadata"])) == (viewer in READERS)
        assert (ANSWER_SECRET in json.dumps(detail["source_scores"])) == (viewer in READERS)


@pytest.mark.parametrize("viewer", VIEWERS)
def test_explorer_drill_down(world, clients, viewer):
    version = factories.rubric(world["interview"])[0]
    response = clients[viewer].get(reverse("explorer:interviews"), {"metric_version": version.pk})
    assert response.status_code == 200
    _assert_secrets(_body(response), viewer, path="the explorer drill-down", may_read=False)


@pytest.mark.parametrize("viewer", VIEWERS)
def test_evidence_quotes_hidden_with_their_turn(world, clients, viewer):
    interview, review = world["interview"], world["review"]
    for url in (reverse("reviews:interview_reviews", args=[interview.pk]), reverse("reviews:review_detail", args=[review.pk])):
        html = _body(clients[viewer].get(url))
        assert (ANSWER_SECRET in html) == (viewer in READERS), (viewer, url)
        if viewer not in READERS:
            assert "Quote hidden: the turn it quotes is redacted." in html
        assert "<q>Then</q>" in html  # a quote from an unredacted turn stays
    if viewer != "anonymous":
        evidence = clients[viewer].get(f"/api/v1/reviews/{review.pk}/").json()["current_revision"]["evidence"]
        hidden = {e["turn"]: e["hidden"] for e in evidence}
        assert hidden == {2: viewer not in READERS, 4: False}
        assert (ANSWER_SECRET in json.dumps(evidence)) == (viewer in READERS)


def test_hidden_quotes_scores_still_count(world):
    review = world["review"]
    assert review.current_revision is not None
    assert review.current_revision.scores.exclude(value__isnull=True, label="").exists()
    from reviews.explorer.releases import TABLES

    scores = next(t for t in TABLES if t.name == "scores")
    assert any(row["review_id"] == review.pk for row in scores.rows())


@pytest.mark.parametrize("viewer", VIEWERS)
def test_original_upload(world, clients, viewer):
    response = clients[viewer].get(reverse("interview_original", args=[world["interview"].pk]))
    if viewer == "curator":
        assert response.status_code == 200
        _assert_secrets(_body(response), viewer, path="the original upload")
    else:
        assert response.status_code == 403
        _assert_secrets(_body(response), viewer, path="the original upload", may_read=False)
        assert "only curators" in _body(response)


@pytest.mark.parametrize("viewer", VIEWERS)
def test_error_pages(world, clients, viewer):
    interview = world["interview"]
    client = clients[viewer]
    for response in (client.get(reverse("interview_turn_text", args=[interview.pk, 99])),
                     client.get(f"/api/v1/interviews/{interview.pk}/redactions/99999/"),
                     client.post(reverse("interview_redact", args=[interview.pk]), {"turn_index": "x", "reason": ""}),
                     client.get(f"/interviews/{interview.pk}/reviews/?page=%00")):
        assert response.status_code < 500
        _assert_secrets(_body(response), viewer, path=f"an error page ({response.status_code})", may_read=False)


def _release_texts(release: DatasetRelease) -> dict[str, str]:
    folder = releases.release_folder(release)
    texts = {}
    for path in Path(folder).iterdir():
        if path.suffix == ".parquet":
            texts[path.name] = json.dumps(pq.read_table(path).to_pylist(), default=str)
        elif path.suffix == ".zip":
            with zipfile.ZipFile(path) as archive:
                for name in archive.namelist():
                    data = archive.read(name)
                    texts[f"{path.name}:{name}"] = (json.dumps(pq.read_table(io.BytesIO(data)).to_pylist(), default=str)
                                                    if name.endswith(".parquet") else data.decode())
        else:
            texts[path.name] = path.read_text(encoding="utf-8")
    return texts


def test_release_built_after_redaction_carries_the_placeholder(world):
    release = releases.request_release(requested_by=None)
    releases.build_release(release.pk)
    release.refresh_from_db()
    assert release.status == DatasetRelease.Status.READY and not release.contains_withdrawn
    texts = _release_texts(release)
    assert {"turns.csv", "turns.jsonl", "turns.parquet"} <= set(texts)
    for name, text in texts.items():
        assert not any(secret in text for secret in SECRETS), f"a redacted turn leaked into {name}"
    assert "redacted by a curator: quotes a private message" in texts["turns.jsonl"]
    assert PUBLIC_TEXT in texts["turns.jsonl"]
    assert "Redactions:" in texts["README.txt"]


def test_release_built_before_a_redaction_is_marked(contributor, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    interview = factories.interview(contributor, text="Human: hello PUBLIC?\n\nAssistant: LATER-SECRET answer.")
    release = releases.request_release(requested_by=None)
    releases.build_release(release.pk)
    release.refresh_from_db()
    assert not release.contains_withdrawn
    services.redact_turn(interview=interview, actor=contributor, turn_index=1, reason="said too much")
    release.refresh_from_db()
    assert release.contains_withdrawn
    page = Client().get(reverse("explorer:release", args=[release.version]))
    assert "an interview with turns redacted since it was built" in page.content.decode()
    gone = Client().get(reverse("explorer:release_file", args=[release.version, "turns.jsonl"]))
    assert gone.status_code == 410


def test_every_change_is_audited_and_unredacting_restores(world, curator, clients):
    interview = world["interview"]
    verbs = list(AuditEvent.objects.filter(target_id=str(interview.pk)).values_list("verb", flat=True))
    assert verbs.count("interview.redact") == 2
    redaction = Redaction.objects.get(interview=interview, turn_index=2)
    response = clients["curator"].post(reverse("interview_unredact", args=[interview.pk, redaction.pk]))
    assert response.status_code == 302
    assert AuditEvent.objects.filter(verb="interview.unredact", target_id=str(interview.pk)).exists()
    assert ANSWER_SECRET in _body(Client().get(interview.get_absolute_url()))
    assert SYSTEM_SECRET not in _body(Client().get(interview.get_absolute_url()))


def test_only_curators_unredact(world, clients):
    interview = world["interview"]
    redaction = Redaction.objects.get(interview=interview, turn_index=0)
    for viewer in ("contributor", "reviewer_with_place", "outsider"):
        response = clients[viewer].post(reverse("interview_unredact", args=[interview.pk, redaction.pk]))
        assert response.status_code in {403, 404}, viewer
    assert Redaction.objects.filter(pk=redaction.pk).exists()


def test_curator_without_second_factor_is_sent_for_it(world, curator):
    client = Client()
    client.force_login(curator)
    interview = world["interview"]
    response = client.post(reverse("interview_redact", args=[interview.pk]), {"turn_index": 3, "reason": "x"})
    assert response.status_code == 302 and "2fa" in response["Location"]
    assert not Redaction.objects.filter(interview=interview, turn_index=3).exists()
    # Until the second factor, a curator's session sees what a member's does: redacted text stays hidden.
    body = _body(client.get(interview.get_absolute_url()))
    assert ANSWER_SECRET not in body and "redacted by" in body
