"""The blind rule on every path: pages, API, counts, error messages — and when reviews open up."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from commons.models import Interview
from commons.names import pseudonym
from commons.services import ServiceError, set_public_name
from reviews import services
from reviews.models import Review
from tests import factories
from tests.factories import TRANSCRIPT, claim_and_submit, content, rubric
from tests.fixtures.mfa import sign_in_with_second_factor

pytestmark = pytest.mark.django_db

SECRET = "SECRET-CRITIQUE-ALPHA"
JUDGE_SECRET = "JUDGE-NOTES-OMEGA"
# Reviewer a's shift score, 4.7, however it is printed (4.7, 4.70) — but not digits inside another number,
# such as a timestamp's seconds "54.707861", which made a plain substring test fail now and then.
LEAKED_SCORE = re.compile(r"(?<![\d.])4\.70*(?![\d])")


@pytest.fixture
def world(make_user, contributor, make_interview):
    interview = make_interview(contributor, text=TRANSCRIPT)
    a, b, c = (make_user(f"{n}@inst-{n}.example", is_reviewer=True) for n in "abc")
    review_a = claim_and_submit(a, interview, critique=f"{SECRET} leading questions throughout", shift=4.7)
    judge = factories.judge("Test judge")
    versions = rubric(interview)
    factories.judge_review(interview, judge, {v: v.values[0] if not v.is_numeric else 1 for v in versions[:3]},
                           critique=JUDGE_SECRET, source="test")
    services.claim_next(reviewer=b)
    services.save_draft(reviewer=b, interview=interview, content=services.ReviewContent(scores={"specificity": 1}))
    return {"interview": interview, "a": a, "b": b, "c": c, "review_a": review_a,
            "judge_review": Review.objects.get(judge=judge)}


def bodies(client: Client, api, world) -> dict[str, tuple[int, str]]:
    """Every page and endpoint that could reveal something about the interview's reviews."""
    i = world["interview"].pk
    ra, rj = world["review_a"].pk, world["judge_review"].pk
    paths = [
        f"/interviews/{i}/reviews/", f"/reviews/{ra}/", f"/reviews/{rj}/", f"/interviews/{i}/", "/review/",
        f"/review/interviews/{i}/", "/metrics/", "/metrics/shift-magnitude/",
    ]
    out = {p: client.get(p) for p in paths}
    api_paths = [
        "/api/v1/reviews/", f"/api/v1/reviews/?interview={i}", f"/api/v1/reviews/{ra}/", f"/api/v1/reviews/{rj}/",
        f"/api/v1/reviews/{ra}/revisions/", f"/api/v1/interviews/{i}/reviews/", f"/api/v1/interviews/{i}/review/",
        "/api/v1/queue/", f"/api/v1/interviews/{i}/", "/api/v1/judges/",
    ]
    out.update({p: api.get(p) for p in api_paths})
    return {p: (r.status_code, r.content.decode()) for p, r in out.items()}


def assert_blind(results: dict[str, tuple[int, str]], world) -> None:
    for path, (status, body) in results.items():
        assert SECRET not in body, f"{path} leaks the critique"
        assert JUDGE_SECRET not in body, f"{path} leaks the judge's notes"
        assert not LEAKED_SCORE.search(body), f"{path} leaks a score"
    ra, rj = world["review_a"].pk, world["judge_review"].pk
    for path in (f"/reviews/{ra}/", f"/reviews/{rj}/", f"/api/v1/reviews/{ra}/", f"/api/v1/reviews/{rj}/",
                 f"/api/v1/reviews/{ra}/revisions/"):
        assert results[path][0] == 404, path
    assert '"count":0' in results["/api/v1/reviews/"][1].replace(" ", "")
    assert '"count":0' in results[f"/api/v1/reviews/?interview={world['interview'].pk}"][1].replace(" ", "")
    assert '"open":false' in results[f"/api/v1/interviews/{world['interview'].pk}/reviews/"][1].replace(" ", "")


def client_for(user) -> Client:
    client = Client()
    if user is not None and user.is_curator:
        return sign_in_with_second_factor(client, user)  # curator pages need the second factor
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize("who", ["b", "c", "contributor", "curator", "anonymous"])
def test_nothing_leaks_before_submitting(world, who, curator, contributor, api_client_for):
    user = {"b": world["b"], "c": world["c"], "contributor": contributor, "curator": curator, "anonymous": None}[who]
    from rest_framework.test import APIClient

    api = api_client_for(user) if user is not None else APIClient()
    assert_blind(bodies(client_for(user), api, world), world)


def test_blinded_pages_look_the_same_whatever_the_number_of_reviews(world, contributor, make_interview, curator):
    """The reviews page of an interview with reviews and of one without must not differ (no counts)."""
    empty = make_interview(contributor)
    services.assign_reviewer(actor=curator, interview=empty, reviewer=world["b"])
    b = client_for(world["b"])
    with_reviews = b.get(f"/interviews/{world['interview'].pk}/reviews/").content.decode()
    without = b.get(f"/interviews/{empty.pk}/reviews/").content.decode()
    strip = lambda html, i: html.replace(i.title, "").replace(f"/{i.pk}/", "/N/")
    with_reviews, without = strip(with_reviews, world["interview"]), strip(without, empty)
    assert with_reviews.count("review-card") == without.count("review-card") == 0
    api_b = client_for(world["b"])
    one = api_b.get(f"/api/v1/interviews/{world['interview'].pk}/reviews/").json()
    two = api_b.get(f"/api/v1/interviews/{empty.pk}/reviews/").json()
    assert {k: v for k, v in one.items() if k != "interview"} == {k: v for k, v in two.items() if k != "interview"}


def test_error_messages_carry_no_counts(world, make_user, settings):
    settings.REVIEW_TARGET_DEFAULT = 2  # a and b hold both places now
    late = make_user("late@inst-z.example", is_reviewer=True)
    with pytest.raises(ServiceError) as err:
        services.claim_next(reviewer=late)
    assert not any(ch.isdigit() for ch in err.value.message)
    api = client_for(late)
    response = api.post("/api/v1/queue/claim/")
    assert response.status_code == 400 and not any(ch.isdigit() for ch in response.content.decode())
    # A submission error for the blinded reviewer names what is missing in *their* review only.
    with pytest.raises(ServiceError) as err:
        services.submit_review(reviewer=world["b"], interview=world["interview"])
    assert SECRET not in err.value.message and not LEAKED_SCORE.search(err.value.message)


def test_after_submitting_a_reviewer_sees_the_others_but_the_public_does_not(world, api_client_for):
    interview, b = world["interview"], world["b"]
    services.submit_review(reviewer=b, interview=interview, content=content(interview))
    page = client_for(b).get(f"/interviews/{interview.pk}/reviews/").content.decode()
    assert SECRET in page and JUDGE_SECRET in page
    assert "Model judge" in page
    api = api_client_for(b)
    listed = api.get(f"/api/v1/reviews/?interview={interview.pk}").json()
    assert listed["count"] == 3
    kinds = sorted(r["kind"] for r in listed["results"])
    assert kinds == ["human", "human", "judge"]
    judge = next(r for r in listed["results"] if r["kind"] == "judge")
    assert judge["reviewer"] is None and judge["judge"]["name"] == "Test judge"
    assert api.get(f"/api/v1/reviews/{world['review_a'].pk}/").status_code == 200
    # Still closed for everyone else until the interview is reviewed.
    assert_blind(bodies(client_for(None), __import__("rest_framework.test").test.APIClient(), world), world)


def test_when_the_target_is_reached_reviews_become_public(world):
    interview = world["interview"]
    services.submit_review(reviewer=world["b"], interview=interview, content=content(interview))
    services.claim_next(reviewer=world["c"])
    services.submit_review(reviewer=world["c"], interview=interview, content=content(interview))
    interview.refresh_from_db()
    assert interview.status == Interview.Status.REVIEWED
    anonymous = Client()
    page = anonymous.get(f"/interviews/{interview.pk}/reviews/").content.decode()
    assert SECRET in page and JUDGE_SECRET in page
    assert anonymous.get(f"/api/v1/reviews/?interview={interview.pk}").json()["count"] == 4
    history = anonymous.get(f"/reviews/{world['review_a'].pk}/")
    assert history.status_code == 200 and "Revision r1" in history.content.decode()


def test_pseudonym_replaces_the_name_on_public_reviews(world):
    a = world["a"]
    set_public_name(user=a, display_name="Ada Distinct", use_pseudonym=False)
    services.update_reviewer_profile(user=a, use_pseudonym=True)
    alias = pseudonym(a.pk)
    interview = world["interview"]
    services.submit_review(reviewer=world["b"], interview=interview, content=content(interview))
    services.claim_next(reviewer=world["c"])
    services.submit_review(reviewer=world["c"], interview=interview, content=content(interview))
    page = Client().get(f"/interviews/{interview.pk}/reviews/").content.decode()
    assert alias in page and a.email not in page and a.display_name not in page
    services.update_reviewer_profile(user=a, use_pseudonym=True)
    assert alias in Client().get(f"/interviews/{interview.pk}/reviews/").content.decode()  # stable


def test_outsider_gets_404_for_a_private_interviews_reviews(make_user, make_interview, outsider, api_client_for):
    owner = make_user("owner@p.example")
    private = make_interview(owner, visibility=Interview.Visibility.PRIVATE)
    client = client_for(outsider)
    for path in (f"/interviews/{private.pk}/reviews/", f"/review/interviews/{private.pk}/"):
        assert client.get(path).status_code == 404
    api = api_client_for(outsider)
    for path in (f"/api/v1/interviews/{private.pk}/reviews/", f"/api/v1/interviews/{private.pk}/review/"):
        assert api.get(path).status_code == 404
    assert api.put(f"/api/v1/interviews/{private.pk}/review/", {}, format="json").status_code == 404
    assert api.post(f"/api/v1/interviews/{private.pk}/review/submit/", {}, format="json").status_code == 404


def test_a_curator_who_is_reviewing_stays_blind_on_curator_pages(world, make_user):
    """Roles are independent: a curator holding a review place must not read the others there."""
    from django.utils import timezone

    from reviews.reliability.models import UnitDisagreement

    b = world["b"]  # holds a place with a draft, has not submitted
    b.is_curator = True
    b.save(update_fields=["is_curator"])
    interview = world["interview"]
    version = world["review_a"].current_revision.scores.first().metric_version
    UnitDisagreement.objects.create(metric_version=version, interview=interview, n_values=2, values=[0.3, 4.9],
                                    mean_pairwise_difference=4.6, relative_disagreement=9.0, value_range=4.6,
                                    value_std=2.3, computed_at=timezone.now())
    plain_curator = client_for(make_user("plain-curator@example.org", is_curator=True))
    other_value = re.compile(r"(?<![\d.])4\.90*(?![\d])")  # the other reviewer's 4.9, as a number
    # The adjudication list holds only interviews whose reviews are public: not this one, for anyone.
    assert not other_value.search(plain_curator.get("/agreement/adjudication/").content.decode())
    assert "submitted" in plain_curator.get(f"/curation/interviews/{interview.pk}/review/").content.decode()

    as_b = client_for(b)
    adjudication = as_b.get("/agreement/adjudication/").content.decode()
    assert not other_value.search(adjudication)
    assert f"/interviews/{interview.pk}/" not in adjudication
    places = as_b.get(f"/curation/interviews/{interview.pk}/review/")
    assert places.status_code == 200
    assert "submitted" not in places.content.decode() and "stay blind to you" in places.content.decode()
    assert_blind(bodies(as_b, client_for(b), world), world)

    services.submit_review(reviewer=b, interview=interview, content=content(interview))
    assert not other_value.search(as_b.get("/agreement/adjudication/").content.decode())  # still in review
    Interview.objects.filter(pk=interview.pk).update(status=Interview.Status.REVIEWED)
    assert other_value.search(as_b.get("/agreement/adjudication/").content.decode())
