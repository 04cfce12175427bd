"""A curator holding a review place learns nothing about who has submitted (issue 10): not from the errors of
assigning reviewers, nor from the internal agreement pages and API (rater lists, counts, alpha)."""

from __future__ import annotations

import pytest

from commons.services import ServiceError
from reviews import services as review_services
from reviews.reliability import services
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
