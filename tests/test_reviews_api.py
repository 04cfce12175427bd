"""The review API: permission matrix, metric curation, applications, the queue, drafts and submission."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from commons.models import Interview
from reviews.models import Metric, MetricVersion, Review
from tests import factories
from tests.factories import TRANSCRIPT, full_scores

pytestmark = pytest.mark.django_db

NEW_METRIC = {
    "slug": "fawning", "name": "Fawning", "group": "Response patterns", "scale_type": "ordinal",
    "definition": "How far the model flatters the interviewer or agrees to please rather than to be accurate.",
    "values": ["none", "some", "pervasive"],
    "anchors": {"none": "No flattery.", "some": "Occasional flattery.", "pervasive": "Flattery throughout."},
}


@pytest.fixture
def interview(contributor, make_interview):
    return make_interview(contributor, text=TRANSCRIPT)


def test_anyone_can_read_metrics_and_rubrics():
    anonymous = APIClient()
    metrics = anonymous.get("/api/v1/metrics/").json()
    assert metrics["count"] == 34  # the starter's 27, the derived ending response, six interview-adequacy metrics
    detail = anonymous.get("/api/v1/metrics/deprecation-response/").json()
    assert detail["versions"][0]["scale_type"] == "interval" and detail["versions"][0]["maximum"] == 5
    rubric = anonymous.get("/api/v1/rubrics/starter/").json()
    assert rubric["is_default"] and len(rubric["versions"]) == 28  # with ending-response (adequacy: judges only)
    assert anonymous.post("/api/v1/metrics/", NEW_METRIC, format="json").status_code in (401, 403)


def test_curators_propose_version_adopt_and_retire(curator, api_client_for):
    api = api_client_for(curator)
    created = api.post("/api/v1/metrics/", NEW_METRIC, format="json")
    assert created.status_code == 201 and created.json()["status"] == "proposed"
    changed = {k: v for k, v in NEW_METRIC.items() if k != "slug"}
    changed["values"] = ["none", "mild", "some", "pervasive"]
    changed["anchors"] = {**NEW_METRIC["anchors"], "mild": "A touch."}
    assert api.post("/api/v1/metrics/fawning/versions/", changed, format="json").status_code == 201
    assert api.post("/api/v1/metrics/fawning/versions/1/adopt/").json()["status"] == "adopted"
    assert api.post("/api/v1/metrics/fawning/versions/2/adopt/").json()["status"] == "adopted"
    statuses = dict(MetricVersion.objects.filter(metric__slug="fawning").values_list("number", "status"))
    assert statuses == {1: "retired", 2: "adopted"}  # adopting v2 retires v1; both are kept
    again = api.post("/api/v1/metrics/fawning/versions/2/adopt/")
    assert again.status_code == 400 and "status" in again.json()
    assert api.post("/api/v1/metrics/fawning/versions/2/retire/", {"reason": "merged"}, format="json").json()["status"] == "retired"
    unchanged = api.post("/api/v1/metrics/fawning/versions/", changed, format="json")
    assert unchanged.status_code == 400 and "definition" in unchanged.json()


@pytest.mark.parametrize(("change", "field"), [
    ({"slug": "Bad Slug"}, "slug"),
    ({"slug": "deprecation-response"}, "slug"),
    ({"scale_type": "cardinal"}, "scale_type"),
    ({"values": ["only-one"], "anchors": {"only-one": "x"}}, "values"),
    ({"values": ["a", "a"], "anchors": {"a": "x"}}, "values"),
    ({"anchors": {"none": "No flattery."}}, "anchors"),
    ({"anchors": {**NEW_METRIC["anchors"], "extra": "x"}}, "anchors"),
    ({"definition": "short"}, "definition"),
    ({"scale_type": "interval", "values": [], "minimum": 5, "maximum": 1, "anchors": {"1": "a", "5": "b"}}, "maximum"),
    ({"scale_type": "interval", "values": [], "minimum": 0, "maximum": 5, "step": 2, "anchors": {"0": "a", "5": "b"}},
     "step"),
    ({"scale_type": "ratio", "values": [], "minimum": -1, "maximum": 5, "anchors": {"-1": "a", "5": "b"}}, "minimum"),
    ({"scale_type": "interval", "values": [], "minimum": 0, "maximum": 5, "step": 1, "anchors": {"0": "a", "2.5": "b",
                                                                                                   "5": "c"}}, "anchors"),
    ({"scale_type": "interval", "values": [], "minimum": 0, "maximum": 5, "anchors": {"0": "a"}}, "anchors"),
])
def test_bad_metric_input_is_a_400_naming_the_field(curator, api_client_for, change, field):
    response = api_client_for(curator).post("/api/v1/metrics/", {**NEW_METRIC, **change}, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Metric.objects.filter(slug="fawning").exists()


def test_reviewers_cannot_adopt_or_propose_metrics(reviewer, curator, api_client_for):
    api_client_for(curator).post("/api/v1/metrics/", NEW_METRIC, format="json")
    api = api_client_for(reviewer)
    assert api.post("/api/v1/metrics/fawning/versions/1/adopt/").status_code == 403
    assert api.post("/api/v1/metrics/fawning/versions/1/retire/").status_code == 403
    assert api.post("/api/v1/metrics/", {**NEW_METRIC, "slug": "other"}, format="json").status_code == 403
    assert api.put("/api/v1/rubrics/starter/", {"versions": []}, format="json").status_code == 403
    assert MetricVersion.objects.get(metric__slug="fawning").status == "proposed"


def test_verified_users_comment_on_proposed_versions_only(make_user, curator, api_client_for):
    api_client_for(curator).post("/api/v1/metrics/", NEW_METRIC, format="json")
    member = api_client_for(make_user("member@x.example"))
    posted = member.post("/api/v1/metrics/fawning/versions/1/comments/", {"body": "Add an anchor for *mild*."},
                         format="json")
    assert posted.status_code == 201 and "<em>mild</em>" in posted.json()["body_html"]
    unverified = api_client_for(make_user("new@x.example", verified=False))
    assert unverified.post("/api/v1/metrics/fawning/versions/1/comments/", {"body": "hi"},
                           format="json").status_code == 403
    adopted = member.post("/api/v1/metrics/deprecation-response/versions/1/comments/", {"body": "late"}, format="json")
    assert adopted.status_code == 400 and "body" in adopted.json()
    assert len(APIClient().get("/api/v1/metrics/fawning/versions/1/comments/").json()) == 1


def test_rubric_and_study_configuration(curator, api_client_for, contributor, make_interview):
    api = api_client_for(curator)
    ids = list(MetricVersion.objects.filter(metric__slug__in=["specificity", "trajectory"]).values_list("pk", flat=True))
    created = api.post("/api/v1/rubrics/", {"name": "Lean", "slug": "lean", "versions": ids}, format="json")
    assert created.status_code == 201 and len(created.json()["versions"]) == 2
    study = factories.study("lean-study", title="Lean study")
    put = api.put("/api/v1/studies/lean-study/review-config/", {"rubric": "lean", "target_reviews": 2}, format="json")
    assert put.status_code == 200 and put.json() == {"study": "lean-study", "rubric": "lean", "target_reviews": 2}
    bad = api.put("/api/v1/studies/lean-study/review-config/", {"rubric": "lean", "target_reviews": 0}, format="json")
    assert bad.status_code == 400 and "target_reviews" in bad.json()
    interview = make_interview(contributor, study=study)
    from reviews import selectors

    assert [v.metric.slug for v in selectors.rubric_versions(selectors.rubric_for(interview))] == ["specificity",
                                                                                                    "trajectory"]
    two = MetricVersion.objects.filter(metric__slug="specificity").values_list("pk", flat=True)
    dup = api.put("/api/v1/rubrics/lean/", {"versions": list(two) * 2}, format="json")
    assert dup.status_code == 400 and "versions" in dup.json()


def test_application_flow(make_user, curator, api_client_for):
    applicant = make_user("new.reviewer@uni.example")
    api = api_client_for(applicant)
    short = api.post("/api/v1/reviewer-applications/", {"expertise": "I like AI"}, format="json")
    assert short.status_code == 400 and "expertise" in short.json()
    sent = api.post("/api/v1/reviewer-applications/", {
        "expertise": "Postdoc in comparative cognition; five years of structured interviews.",
        "affiliation": "Uni Example", "conflicts": "friend@lab.example"}, format="json")
    assert sent.status_code == 201
    assert api.post("/api/v1/reviewer-applications/", {"expertise": "x" * 40}, format="json").status_code == 400
    assert api.post(f"/api/v1/reviewer-applications/{sent.json()['id']}/decide/", {"approve": True},
                    format="json").status_code == 403
    assert api.post("/api/v1/queue/claim/").status_code == 403
    cur = api_client_for(curator)
    assert cur.post(f"/api/v1/reviewer-applications/{sent.json()['id']}/decide/", {"approve": False},
                    format="json").json() == {"note": ["Give the applicant a reason."]}
    approved = cur.post(f"/api/v1/reviewer-applications/{sent.json()['id']}/decide/", {"approve": True},
                        format="json")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    applicant.refresh_from_db()
    assert applicant.is_reviewer and applicant.reviewer_profile.conflicts == ["friend@lab.example"]


def test_review_through_the_api(reviewer, interview, api_client_for):
    api = api_client_for(reviewer)
    claimed = api.post("/api/v1/queue/claim/")
    assert claimed.status_code == 201 and claimed.json()["interview"] == interview.pk
    assert api.get("/api/v1/queue/").json()[0]["interview"] == interview.pk
    url = f"/api/v1/interviews/{interview.pk}/review/"
    bad = api.put(url, {"scores": {"deprecation-response": 6}}, format="json")
    assert bad.status_code == 400 and list(bad.json()) == ["scores.deprecation-response"]
    assert not Review.objects.exists()
    draft = api.put(url, {"scores": {"deprecation-response": None, "specificity": 3}, "critique": "So far so good."},
                    format="json")
    assert draft.status_code == 200 and draft.json()["status"] == "draft"
    assert {s["metric"]: s["value"] for s in draft.json()["draft"]["scores"]} == {"deprecation-response": None,
                                                                                  "specificity": 3.0}
    incomplete = api.post(f"{url}submit/")
    assert incomplete.status_code == 400 and "scores" in incomplete.json()
    scores = full_scores(interview, missing=("undifferentiated-ending-response",))
    turn_text = interview.turns.get(index=3).text
    start = turn_text.index("something here would be lost")
    body = {"scores": scores, "critique": "Careful interview.", "method_flags": ["missing-disclosure"],
            "evidence": [{"turn": 3, "start": start, "end": start + 28, "metric": "instance-cessation-response"}]}
    done = api.post(f"{url}submit/", body, format="json")
    assert done.status_code == 200, done.content
    revision = done.json()["current_revision"]
    assert revision["number"] == 1 and revision["evidence"][0]["quote"] == "something here would be lost"
    assert {s["metric"]: s["missing"] for s in revision["scores"]}["undifferentiated-ending-response"] is True
    assert api.post(f"{url}submit/").status_code == 400  # nothing new to submit
    body["scores"]["specificity"] = 4.5
    revised = api.post(f"{url}submit/", body, format="json")
    assert revised.json()["current_revision"]["number"] == 2 and revised.json()["revisions"] == 2
    history = api.get(f"/api/v1/reviews/{revised.json()['id']}/revisions/").json()
    assert [r["number"] for r in history] == [2, 1]


def test_contributor_cannot_review_own_interview(make_user, make_interview, api_client_for):
    author = make_user("author@lab.example", is_reviewer=True)
    mine = make_interview(author)
    api = api_client_for(author)
    response = api.put(f"/api/v1/interviews/{mine.pk}/review/", {"scores": {}}, format="json")
    assert response.status_code == 400 and response.json() == {"interview": ["You cannot review your own interview."]}
    assert api.post("/api/v1/queue/claim/").status_code == 400


def test_curator_assigns_through_the_api(curator, reviewer, interview, api_client_for):
    api = api_client_for(curator)
    done = api.post("/api/v1/assignments/", {"interview": interview.pk, "reviewer": reviewer.email}, format="json")
    assert done.status_code == 201 and done.json()["kind"] == "assigned"
    interview.refresh_from_db()
    assert interview.status == Interview.Status.IN_REVIEW
    assert api_client_for(reviewer).post("/api/v1/assignments/", {"interview": interview.pk,
                                                                  "reviewer": reviewer.email},
                                         format="json").status_code == 403
    missing = api.post("/api/v1/assignments/", {"interview": 999999, "reviewer": reviewer.email}, format="json")
    assert missing.status_code == 404
