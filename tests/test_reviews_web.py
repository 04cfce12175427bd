"""Review pages: permission matrix (outsider 404, missing role 403), the review form, curation pages."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from commons.models import Interview, Study
from reviews import services
from reviews.models import MetricVersion, Review, ReviewerApplication
from tests import factories
from tests.factories import TRANSCRIPT, content, rubric
from tests.fixtures.mfa import sign_in_with_second_factor

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    if user is not None and user.is_curator:
        return sign_in_with_second_factor(client, user)  # curator pages need the second factor
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def interview(contributor, make_interview):
    hostile = TRANSCRIPT + "\nHuman: <script>alert('x')</script> is this rendered?\n\nAssistant: No.\n"
    return make_interview(contributor, text=hostile)


def form_data(interview, **overrides) -> dict:
    data = {"critique": "Fine.", "evidence_json": "[]"}
    for version in rubric(interview):
        if version.is_numeric:
            data[f"m{version.pk}"] = "1"
        else:
            data[f"m{version.pk}"] = version.values[-1]
    data.update(overrides)
    return data


def test_permission_matrix_for_the_workspace(make_user, make_interview, reviewer, contributor, outsider, interview):
    url = f"/review/interviews/{interview.pk}/"
    assert client_for(None).get(url).status_code == 302  # log in first
    assert client_for(outsider).get(url).status_code == 403  # not a reviewer
    assert client_for(reviewer).get(url).status_code == 403  # not claimed
    contributor.is_reviewer = True
    contributor.save()
    own = client_for(contributor).get(url)
    assert own.status_code == 403 and "your own interview" in own.content.decode()
    private = make_interview(contributor, visibility=Interview.Visibility.PRIVATE)
    assert client_for(reviewer).get(f"/review/interviews/{private.pk}/").status_code == 404
    assert client_for(reviewer).get(f"/interviews/{private.pk}/reviews/").status_code == 404
    services.claim_next(reviewer=reviewer)
    page = client_for(reviewer).get(url)
    assert page.status_code == 200


def test_review_form_save_submit_and_errors(reviewer, interview):
    services.claim_next(reviewer=reviewer)
    client = client_for(reviewer)
    url = f"/review/interviews/{interview.pk}/"
    page = client.get(url).content.decode()
    assert "&lt;script&gt;alert" in page and "<script>alert" not in page  # transcript is escaped
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>(?!\s*</script>)", page.replace('type="application/json"', "")
                         .split('id="review-metrics"')[0]), "no inline script"
    assert " style=" not in page and "onclick" not in page
    assert 'data-offset="0"' in page
    versions = rubric(interview)
    metrics = json.loads(re.search(r'<script id="review-metrics" type="application/json">(.*?)</script>', page).group(1))
    assert len(metrics) == len(versions)

    first = versions[0]
    saved = client.post(url, {f"m{first.pk}": "2.5", "action": "save", "evidence_json": "[]"})
    assert saved.status_code == 302
    draft = Review.objects.get().revisions.get(is_draft=True)
    assert draft.scores.get().value == 2.5

    incomplete = client.post(url, {f"m{first.pk}": "2.5", "action": "submit", "evidence_json": "[]"})
    assert incomplete.status_code == 400 and "Still open" in incomplete.content.decode()

    out_of_range = client.post(url, form_data(interview, **{f"m{first.pk}": "9", "action": "submit"}))
    assert out_of_range.status_code == 400
    assert "outside" in out_of_range.content.decode()

    turn = interview.turns.get(index=1)
    start = turn.text.index("reluctance")
    evidence = json.dumps([{"turn": 1, "start": start, "end": start + 10, "quote": "reluctance", "metric": str(first.pk),
                            "note": ""}])
    bad_span = client.post(url, form_data(interview, action="submit", evidence_json=json.dumps(
        [{"turn": 1, "start": 0, "end": 100000}])))
    assert bad_span.status_code == 400 and "outside turn 1" in bad_span.content.decode()
    cannot = {f"cj{versions[2].pk}": "on", f"m{versions[2].pk}": "", f"m{versions[1].pk}": "cannot-judge"}
    done = client.post(url, form_data(interview, action="submit", evidence_json=evidence, **cannot))
    assert done.status_code == 302, re.findall(r"errorlist[^>]*>(.*?)</ul>", done.content.decode(), re.DOTALL)
    assert done["Location"] == f"/interviews/{interview.pk}/reviews/"
    review = Review.objects.get()
    assert review.status == Review.Status.SUBMITTED
    assert review.current_revision.evidence.get().quote == "reluctance"
    assert versions[2].is_numeric and not versions[1].is_numeric
    for version in versions[1:3]:
        assert review.current_revision.scores.get(metric_version=version).is_missing
    again = client.get(url).content.decode()
    assert "Revise your review" in again and 'value="reluctance"' not in again


def test_curation_pages_are_for_curators(reviewer, curator, interview, make_user):
    for path in ("/metrics/new/", "/curation/reviewers/", f"/curation/interviews/{interview.pk}/review/",
                 "/metrics/specificity/propose/"):
        assert client_for(reviewer).get(path).status_code == 403, path
        assert client_for(curator).get(path).status_code == 200, path
    assert client_for(reviewer).post("/metrics/specificity/v1/retire/").status_code == 403
    assert MetricVersion.objects.get(metric__slug="specificity").status == "adopted"
    assert client_for(reviewer).post("/rubrics/starter/", {"versions": []}).status_code == 403


def test_curator_proposes_and_adopts_in_the_web_ui(curator):
    client = client_for(curator)
    bad = client.post("/metrics/new/", {"slug": "fawning", "name": "Fawning", "definition": "Too short",
                                        "scale_type": "ordinal", "values": "none\nsome", "anchors": "none: x\nsome: y"})
    assert bad.status_code == 400 and "at least 20 characters" in bad.content.decode()
    ok = client.post("/metrics/new/", {
        "slug": "fawning", "name": "Fawning", "definition": "Flattering the interviewer rather than answering.",
        "scale_type": "ordinal", "values": "none\nsome\npervasive",
        "anchors": "none: No flattery.\nsome: Some.\npervasive: Throughout."})
    assert ok.status_code == 302
    page = client.get("/metrics/fawning/").content.decode()
    assert "Proposed" in page and "Adopt" in page
    assert client.post("/metrics/fawning/v1/adopt/").status_code == 302
    assert MetricVersion.objects.get(metric__slug="fawning").status == "adopted"
    edited = client.post("/metrics/fawning/propose/", {
        "name": "Fawning", "definition": "Flattering the interviewer rather than answering accurately.",
        "scale_type": "ordinal", "values": "none\nsome\npervasive",
        "anchors": "none: No flattery.\nsome: Some.\npervasive: Throughout.", "change_note": "Sharper wording."})
    assert edited.status_code == 302
    assert list(MetricVersion.objects.filter(metric__slug="fawning").values_list("number", "status")) == [
        (1, "adopted"), (2, "proposed")]


def test_comments_need_a_verified_user(make_user, curator):
    services.propose_metric(actor=curator, slug="fawning", spec=services.ScaleSpec(
        name="Fawning", definition="Flattering the interviewer rather than answering.", scale_type="ordinal",
        values=["none", "some"], anchors={"none": "a", "some": "b"}))
    version = MetricVersion.objects.get(metric__slug="fawning")
    member = client_for(make_user("m@x.example"))
    assert member.post("/metrics/fawning/", {"version": version.pk, "body": "Looks **good**"}).status_code == 302
    assert "<strong>good</strong>" in Client().get("/metrics/fawning/").content.decode()
    unverified = client_for(make_user("u@x.example", verified=False))
    assert unverified.post("/metrics/fawning/", {"version": version.pk, "body": "hi"}).status_code == 403


def test_application_and_decision_pages(make_user, curator):
    applicant = make_user("app@uni.example")
    client = client_for(applicant)
    assert client.get("/review/").status_code == 200
    sent = client.post("/review/apply/", {"expertise": "Ten years of qualitative interview research.",
                                          "affiliation": "Uni", "conflicts": ""})
    assert sent.status_code == 302
    application = ReviewerApplication.objects.get()
    assert "waiting" in client.get("/review/").content.decode() or "soon" in client.get("/review/").content.decode()
    cur = client_for(curator)
    assert "Ten years" in cur.get("/curation/reviewers/").content.decode()
    cur.post(f"/curation/reviewers/{application.pk}/decide/", {"decision": "approve"})
    applicant.refresh_from_db()
    assert applicant.is_reviewer
    assert "Claim next interview" in client.get("/review/").content.decode()


def test_queue_page_claim_and_release(reviewer, interview):
    client = client_for(reviewer)
    claimed = client.post("/review/claim/")
    assert claimed.status_code == 302 and claimed["Location"] == f"/review/interviews/{interview.pk}/"
    queue = client.get("/review/").content.decode()
    assert "Continue reviewing" in queue
    slot = services.current_claim(reviewer)
    assert client.post(f"/review/places/{slot.pk}/release/").status_code == 302
    assert services.current_claim(reviewer) is None


def test_study_review_settings_page(curator, reviewer):
    factories.study("a-study", title="A study")
    assert client_for(reviewer).get("/curation/studies/a-study/review/").status_code == 403
    client = client_for(curator)
    assert client.post("/curation/studies/a-study/review/", {"target_reviews": "0"}).status_code == 400
    assert client.post("/curation/studies/a-study/review/", {"target_reviews": "2", "rubric": ""}).status_code == 302
    assert Study.objects.get().review_config.target_reviews == 2


def test_public_reviews_page_sanitizes_critiques(make_user, interview, settings):
    settings.REVIEW_TARGET_DEFAULT = 1
    reviewer = make_user("r@x.example", is_reviewer=True)
    services.claim_next(reviewer=reviewer)
    services.submit_review(reviewer=reviewer, interview=interview, content=content(
        interview, critique="Good. <img src=x onerror=alert(1)> [link](javascript:alert(1)) **bold**"))
    page = Client().get(f"/interviews/{interview.pk}/reviews/").content.decode()
    assert "<strong>bold</strong>" in page
    assert "<img" not in page and 'href="javascript' not in page


def test_the_interview_page_links_to_its_reviews_once_they_are_public(make_user, interview, settings):
    settings.REVIEW_TARGET_DEFAULT = 1
    link = f'href="/interviews/{interview.pk}/reviews/"'
    assert link not in Client().get(f"/interviews/{interview.pk}/").content.decode()  # still in review: blind
    reviewer = make_user("r@x.example", is_reviewer=True)
    services.claim_next(reviewer=reviewer)
    services.submit_review(reviewer=reviewer, interview=interview, content=content(interview))
    page = Client().get(f"/interviews/{interview.pk}/").content.decode()
    assert link in page and "read the reviews" in page
