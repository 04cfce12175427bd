"""Ids and filters from a URL or form that are not ids: every path answers 4xx with a reason, never 500."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.fixtures.mfa import sign_in_with_second_factor

pytestmark = pytest.mark.django_db

HUGE = "9" * 25  # beyond any 64-bit key
BAD_IDS = ["abc", HUGE, "0", "-1", "1.5", "١٢"]  # the last is Arabic-Indic digits, which str.isdigit accepts

ID_PATHS = [
    "/interviews/{}/", "/interviews/{}/original/", "/interviews/{}/reviews/", "/imports/{}/", "/reviews/{}/",
    "/review/interviews/{}/", "/curation/interviews/{}/review/", "/agreement/results/{}/",
    "/api/v1/interviews/{}/", "/api/v1/reviews/{}/", "/api/v1/reviews/{}/revisions/", "/api/v1/imports/{}/",
    "/api/v1/interviews/{}/review/", "/api/v1/interviews/{}/reviews/", "/api/v1/agreement/{}/",
    "/api/v1/reviewer-applications/{}/",
]
FILTER_PATHS = [
    "/interviews/?target_model={}", "/interviews/?interviewer={}", "/interviews/?study={}",
    "/api/v1/interviews/?target_model={}", "/api/v1/interviews/?interviewer={}", "/api/v1/interviews/?study={}",
    "/api/v1/reviews/?interview={}", "/api/v1/agreement/?metric_version={}", "/agreement/?metric_version={}",
    "/explore/interviews/?metric_version={}", "/api/v1/patterns/interviews/?metric_version={}",
]


@pytest.fixture
def reviewer_curator(make_user):
    return make_user("both@example.org", is_curator=True, is_reviewer=True)


def _client(user) -> Client:
    return sign_in_with_second_factor(Client(raise_request_exception=False), user)  # a curator: second factor


@pytest.mark.parametrize("template", ID_PATHS)
def test_bad_ids_in_paths_are_404_not_500(template, reviewer_curator):
    client = _client(reviewer_curator)
    for bad in BAD_IDS:
        response = client.get(template.format(bad))
        assert response.status_code in {400, 404}, (template.format(bad), response.status_code)


@pytest.mark.parametrize("template", FILTER_PATHS)
def test_bad_ids_in_filters_are_400_naming_the_parameter_or_match_nothing(template, reviewer_curator):
    client = _client(reviewer_curator)
    for bad in ["abc", HUGE, "1.5", "١٢"]:
        response = client.get(template.format(bad))
        assert response.status_code in {200, 400}, (template.format(bad), response.status_code)
        if response.status_code == 400 and template.startswith("/api/"):
            parameter = template.split("?")[1].split("=")[0]
            assert parameter in response.json(), response.json()


def test_interview_list_names_the_bad_filter(reviewer_curator):
    response = _client(reviewer_curator).get("/interviews/?target_model=abc")
    assert response.status_code == 400
    assert "target_model takes a whole number" in response.content.decode()
    api = _client(reviewer_curator).get("/api/v1/interviews/?interviewer=" + HUGE)
    assert api.status_code == 400 and "interviewer" in api.json()


def test_condition_filters_with_odd_factor_names_just_match_nothing(reviewer_curator, make_interview, contributor):
    interview = make_interview(contributor, conditions={"tone": "warm"})
    make_interview(contributor, conditions={"tone": "cold"})
    client = _client(reviewer_curator)
    for name in ["tone__contains", "__class__", "a'b", "tone__isnull", "x" * 300]:
        for path in ["/interviews/", "/api/v1/interviews/"]:
            response = client.get(path, {f"condition.{name}": "warm"})
            assert response.status_code == 200, (path, name, response.status_code)
    listed = client.get("/api/v1/interviews/", {"condition.tone": "warm"}).json()
    assert [row["id"] for row in listed["results"]] == [interview.pk]


def test_posted_ids_that_are_not_ids(reviewer_curator):
    client = _client(reviewer_curator)
    assert client.post("/curation/users/", {"user": "abc", "role": "reviewer"}).status_code == 404
    assert client.post("/metrics/specificity-of-self-reports/", {"version": "abc", "body": "hi"}).status_code == 404


def test_json_bodies_nested_past_the_recursion_limit_are_400(reviewer_curator, api_client_for):
    api = api_client_for(reviewer_curator)
    body = '{"transcript": ' + "[" * 100_000 + "]" * 100_000 + "}"
    for method, path in [("post", "/api/v1/interviews/"), ("post", "/api/v1/metrics/"),
                         ("post", "/api/v1/models/"), ("post", "/api/v1/reviewer-applications/")]:
        response = getattr(api, method)(path, body, content_type="application/json")
        assert response.status_code == 400, (path, response.status_code)
        assert "nested too deeply" in response.json()["detail"]
