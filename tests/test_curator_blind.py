"""A curator holding a review place learns nothing about who has submitted (issue 10): not from the errors of
assigning reviewers, nor from the internal agreement pages and API (rater lists, counts, alpha)."""

from __future__ import annotations

import pytest

from commons.models import Interview
from commons.services import ServiceError
from reviews import services as review_services
from reviews.reliability import services
from reviews.models import Review, ValuesSeen
from reviews.reliability.models import AgreementResult
from tests import factories
from tests.fixtures.mfa import sign_in_with_second_factor

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting(curator, contributor):
    """Interview x in review: reviewer0 has submitted, curator Cora holds a place. Interview y (Model B) is not hers."""
    world = factories.make_world(curator, contributor)
    cora = factories.user("cora@example.org", is_curator=True, is_reviewer=True)
    x = world.interview(model="Model A")
    y = world.interview(model="Model B")
    review_services.assign_reviewer(actor=curator, interview=x, reviewer=cora)
    world.review(0, x, {"warmth": 5})
    world.review(1, y, {"warmth": 2})
    world.review(2, y, {"warmth": 3})
    services.recompute_metric_version(metric_version_id=world.interval.pk, force=True)
    return world, cora, x, y


def internal(world, slice_type: str, slice_value: str = "") -> AgreementResult:
    return AgreementResult.objects.get(metric_version=world.interval, audience="internal", slice_type=slice_type,
                                       slice_value=slice_value)


def test_assigning_gives_one_answer_whoever_the_reviewer_is(setting, client):
    world, cora, x, _ = setting
    submitted, fresh = world.reviewer(0), world.reviewer(3)
    messages = []
    for candidate in (submitted, fresh):
        with pytest.raises(ServiceError) as caught:
            review_services.assign_reviewer(actor=cora, interview=x, reviewer=candidate)
        messages.append(caught.value.message)
    assert messages[0] == messages[1] and "already" not in messages[0]
    sign_in_with_second_factor(client, cora)  # curator pages need the second factor
    pages = [client.post(f"/curation/interviews/{x.pk}/review/", {"reviewer": r.pk}).content.decode()
             for r in (submitted, fresh)]
    assert "already reviewed" not in pages[0] and "already reviewed" not in pages[1]
    assert "submitted" not in pages[0].split("<h1>", 1)[1].split("</table>", 1)[0]  # no place shows "submitted"
    # another curator still gets the plain answer
    with pytest.raises(ServiceError, match="already reviewed"):
        review_services.assign_reviewer(actor=world.curator, interview=x, reviewer=submitted)


def test_the_api_answers_the_same(setting, api_client_for):
    world, cora, x, _ = setting
    api = api_client_for(cora)
    answers = [api.post("/api/v1/assignments/", {"interview": x.pk, "reviewer": r.email}, format="json")
               for r in (world.reviewer(0), world.reviewer(3))]
    assert [a.status_code for a in answers] == [400, 400]
    assert answers[0].json() == answers[1].json()


def test_internal_agreement_that_could_count_her_interview_is_withheld_until_she_submits(setting, client,
                                                                                         api_client_for):
    world, cora, x, y = setting
    everything = internal(world, "all")
    model_b = internal(world, "target_model", str(y.target_model_id))
    other = factories.user("otto@example.org", is_curator=True)
    sign_in_with_second_factor(client, other)
    shown = client.get(f"/agreement/results/{everything.pk}/").content.decode()
    assert str(world.reviewer(0)) in shown  # an uninvolved curator sees the raters

    client.logout()
    sign_in_with_second_factor(client, cora)
    assert client.get(f"/agreement/results/{everything.pk}/").status_code == 404
    assert client.get(f"/agreement/results/{internal(world, 'reviewer_kind', 'human').pk}/").status_code == 404
    assert client.get(f"/agreement/results/{model_b.pk}/").status_code == 200  # y's slice says nothing about x
    page = client.get("/agreement/?audience=internal&metric=warmth").content.decode()
    assert str(world.reviewer(0)) not in page and "withheld while you are reviewing" in page
    listed = api_client_for(cora).get("/api/v1/agreement/?audience=internal").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    keys = {(r["slice_type"], r["slice_value"]) for r in rows if r["metric_version_id"] == world.interval.pk}
    assert ("all", "") not in keys and ("target_model", str(x.target_model_id)) not in keys
    assert ("target_model", str(y.target_model_id)) in keys
    assert api_client_for(cora).get(f"/api/v1/agreement/{everything.pk}/raters/").status_code == 404

    full = {v.metric.slug: None for v in world.versions} | {"warmth": 4}
    review_services.submit_review(reviewer=cora, interview=x, content=review_services.ReviewContent(scores=full))
    assert client.get(f"/agreement/results/{internal(world, 'all').pk}/").status_code == 200


# --- curators who saw reviewers' values (issue 11, section 3) ---------------------------------------------------


def disagreeing(world, interview) -> None:
    """Reviewers 0 and 1 far apart on the interview, with calm interviews around it so chance disagreement is small."""
    world.review(0, interview, {"warmth": 0})
    world.review(1, interview, {"warmth": 9})


@pytest.fixture
def in_review_and_reviewed(curator, contributor, settings):
    """`open_one` is in review with two submitted, far-apart reviews; `done` is reviewed with far-apart values too."""
    settings.RELIABILITY_FLAG_THRESHOLD = 0.5
    world = factories.make_world(curator, contributor)
    open_one = world.interview(model="Model A")
    done = world.interview(model="Model B")
    with services.deferred_recompute():
        disagreeing(world, open_one)
        disagreeing(world, done)
        world.review(2, done, {"warmth": 4.5})
        for _ in range(4):
            calm = world.interview(model="Model C")
            for i in range(3):
                world.review(i, calm, {"warmth": 5})
    services.recompute_metric_version(metric_version_id=world.interval.pk, force=True)
    open_one.refresh_from_db()
    done.refresh_from_db()
    assert open_one.status == Interview.Status.IN_REVIEW and done.status == Interview.Status.REVIEWED
    from reviews.reliability.models import UnitDisagreement

    flagged = set(UnitDisagreement.objects.filter(relative_disagreement__gt=0.5).values_list("interview_id", flat=True))
    assert {open_one.pk, done.pk} <= flagged  # both would be listed by disagreement alone
    return world, open_one, done


def test_adjudication_lists_only_interviews_whose_reviews_are_public(in_review_and_reviewed, client, api_client_for):
    world, open_one, done = in_review_and_reviewed
    other = factories.user("olga@example.org", is_curator=True, is_reviewer=True)
    sign_in_with_second_factor(client, other)
    page = client.get("/agreement/adjudication/").content.decode()
    assert f'href="{done.get_absolute_url()}"' in page
    assert f'href="{open_one.get_absolute_url()}"' not in page
    listed = api_client_for(other).get("/api/v1/agreement/flagged/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    ids = {r["interview"] if isinstance(r["interview"], int) else r["interview"]["id"] for r in rows}
    assert done.pk in ids and open_one.pk not in ids
    # Looking at the list records nothing: it showed no interview still open to review.
    assert not ValuesSeen.objects.filter(user=other).exists()
    review_services.assign_reviewer(actor=world.curator, interview=open_one, reviewer=other)


def test_a_curator_shown_values_in_the_admin_can_neither_be_assigned_nor_claim(in_review_and_reviewed, client,
                                                                               api_client_for):
    world, open_one, done = in_review_and_reviewed
    from reviews.reliability.models import UnitDisagreement

    staff = factories.user("stan@example.org", is_curator=True, is_reviewer=True, is_staff=True, is_superuser=True)
    sign_in_with_second_factor(client, staff)
    row = UnitDisagreement.objects.get(metric_version=world.interval, interview=open_one)
    shown = client.get(f"/admin/reliability/unitdisagreement/{row.pk}/change/")
    assert shown.status_code == 200 and "9.0" in shown.content.decode()
    seen = ValuesSeen.objects.get(user=staff)
    assert seen.interview_id == open_one.pk and "admin" in seen.where
    client.get("/admin/reliability/unitdisagreement/")  # the list: the reviewed interview is not recorded
    assert set(ValuesSeen.objects.filter(user=staff).values_list("interview_id", flat=True)) == {open_one.pk}

    # Assigned by another curator, or by themself: refused, and the page and the API say why.
    for actor in (world.curator, staff):
        with pytest.raises(ServiceError, match="seen this interview's reviewers' values") as caught:
            review_services.assign_reviewer(actor=actor, interview=open_one, reviewer=staff)
        assert caught.value.field == "reviewer"
    page = client.post(f"/curation/interviews/{open_one.pk}/review/", {"reviewer": staff.pk})
    assert page.status_code == 400 and "seen this interview&#x27;s reviewers&#x27; values" in page.content.decode()
    answer = api_client_for(world.curator).post("/api/v1/assignments/", {"interview": open_one.pk,
                                                                         "reviewer": staff.email}, format="json")
    assert answer.status_code == 400 and "reviewers' values" in str(answer.json())
    assert not Review.objects.filter(interview=open_one, reviewer=staff).exists()

    # The queue never offers it to them; when nothing else waits, the message says why.
    with pytest.raises(ServiceError, match="values you have seen are never offered"):
        review_services.claim_next(reviewer=staff)
    claimed = api_client_for(staff).post("/api/v1/queue/claim/", format="json")
    assert claimed.status_code in (400, 409) and "never offered" in str(claimed.json())
    fresh = world.interview(model="Model D")
    assert review_services.claim_next(reviewer=staff).interview_id == fresh.pk  # other interviews still come
