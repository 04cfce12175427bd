"""Who may change an interview (submit a draft, withdraw): its contributor or a curator. Anyone who
cannot see it gets 404; a viewer who can see it but may not change it gets 403."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse

from commons import selectors
from commons.models import Interview
from tests.fixtures.mfa import sign_in_with_second_factor

pytestmark = pytest.mark.django_db

FORBIDDEN = "Only the contributor or a curator can withdraw this interview."


@pytest.fixture
def viewer(make_user):
    return make_user("viewer@example.org")


@pytest.fixture
def draft(contributor, make_interview) -> Interview:
    return make_interview(contributor, submit=False)


@pytest.fixture
def public(contributor, make_interview) -> Interview:
    return make_interview(contributor)


# --- the selector -------------------------------------------------------------------------


def test_selector_answers_404_403_and_the_interview(contributor, curator, viewer, draft, public):
    with pytest.raises(Http404):
        selectors.get_manageable_interview(viewer, draft.pk)
    with pytest.raises(Http404):
        selectors.get_manageable_interview(None, draft.pk)
    with pytest.raises(Http404):
        selectors.get_manageable_interview(contributor, "not-an-id")
    for anyone in (viewer, None):
        with pytest.raises(PermissionDenied, match=FORBIDDEN):
            selectors.get_manageable_interview(anyone, public.pk, action="withdraw")
    for user in (contributor, curator):
        assert selectors.get_manageable_interview(user, draft.pk) == draft
        assert selectors.get_manageable_interview(user, str(public.pk)) == public
    assert selectors.may_manage_interview(contributor, public) and selectors.may_manage_interview(curator, public)
    assert not selectors.may_manage_interview(viewer, public) and not selectors.may_manage_interview(None, public)


# --- HTML ---------------------------------------------------------------------------------


def test_html_withdraw_page(client, contributor, curator, viewer, draft, public):
    client.force_login(viewer)
    assert client.get(reverse("interview_withdraw", args=[draft.pk])).status_code == 404
    forbidden = client.get(reverse("interview_withdraw", args=[public.pk]))
    assert forbidden.status_code == 403 and FORBIDDEN in forbidden.content.decode()
    assert client.post(reverse("interview_withdraw", args=[public.pk]), {"reason": "spite"}).status_code == 403
    client.force_login(contributor)
    assert client.get(reverse("interview_withdraw", args=[draft.pk])).status_code == 200
    client.logout()
    sign_in_with_second_factor(client, curator)  # a curator acts on others' interviews past the second factor
    assert client.get(reverse("interview_withdraw", args=[draft.pk])).status_code == 200
    response = client.post(reverse("interview_withdraw", args=[public.pk]), {"reason": "Consent withdrawn."})
    assert response.status_code == 302
    public.refresh_from_db()
    assert public.status == Interview.Status.WITHDRAWN


def test_html_submit_draft(client, contributor, curator, viewer, make_interview, draft, public):
    url = reverse("interview_submit_draft", args=[draft.pk])
    client.force_login(viewer)
    assert client.post(url).status_code == 404
    assert client.post(reverse("interview_submit_draft", args=[public.pk])).status_code == 403
    client.force_login(contributor)
    assert client.post(url).status_code == 302
    other = make_interview(contributor, submit=False)
    client.logout()
    sign_in_with_second_factor(client, curator)
    assert client.post(reverse("interview_submit_draft", args=[other.pk])).status_code == 302
    assert {i.status for i in Interview.objects.filter(pk__in=[draft.pk, other.pk])} == {Interview.Status.SUBMITTED}


def test_html_detail_offers_actions_only_to_those_who_may_manage(client, contributor, curator, viewer, public):
    withdraw_link = reverse("interview_withdraw", args=[public.pk])
    client.force_login(viewer)
    assert withdraw_link not in client.get(public.get_absolute_url()).content.decode()
    client.force_login(contributor)
    assert withdraw_link in client.get(public.get_absolute_url()).content.decode()
    client.force_login(curator)  # no second factor in this session: a member's view, and the way to the code
    assert withdraw_link not in client.get(public.get_absolute_url()).content.decode()
    sent = client.get(withdraw_link)
    assert sent.status_code == 302 and "/accounts/2fa/" in sent["Location"]
    client.logout()
    sign_in_with_second_factor(client, curator)
    assert withdraw_link in client.get(public.get_absolute_url()).content.decode()


def test_a_curator_without_the_second_factor_sees_what_a_member_sees(client, contributor, curator, draft, settings):
    """Private and draft interviews, the listing and the API: a curator's session that has not passed the second
    factor (or a token whose owner has no authenticator app) is refused them, and the role is never lost."""
    from rest_framework.test import APIClient

    from commons import services

    Interview.objects.filter(pk=draft.pk).update(title="Unreleased draft about memory")
    private = Interview.objects.get(pk=draft.pk)
    client.force_login(curator)
    sent = client.get(private.get_absolute_url())
    assert sent.status_code == 302 and "/accounts/2fa/" in sent["Location"]  # asked for the code, not shown
    assert private.title not in client.get("/interviews/?status=draft").content.decode()
    client.post("/account/name/", {"display_name": "Cora Curator"})  # a save of the withheld user object
    curator.refresh_from_db()
    assert curator.is_curator and curator.display_name == "Cora Curator"
    _, key = services.create_api_token(user=curator, name="script")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get(f"/api/v1/interviews/{private.pk}/").status_code == 404  # as for a member
    assert private.pk not in [row["id"] for row in api.get("/api/v1/interviews/?status=draft").json()["results"]]
    client.logout()
    sign_in_with_second_factor(client, curator)
    assert client.get(private.get_absolute_url()).status_code == 200
    assert api.get(f"/api/v1/interviews/{private.pk}/").status_code == 200  # the owner has an app now


# --- API ----------------------------------------------------------------------------------


def test_api_withdraw(contributor, curator, viewer, api_client_for, draft, public, make_interview):
    client = api_client_for(viewer)
    assert client.post(f"/api/v1/interviews/{draft.pk}/withdraw/", {"reason": "x"}).status_code == 404
    assert client.post("/api/v1/interviews/nope/withdraw/", {"reason": "x"}).status_code == 404
    forbidden = client.post(f"/api/v1/interviews/{public.pk}/withdraw/", {"reason": "x"})
    assert forbidden.status_code == 403 and forbidden.json()["detail"] == FORBIDDEN
    owner = api_client_for(contributor).post(f"/api/v1/interviews/{public.pk}/withdraw/", {"reason": "mistake"})
    assert owner.status_code == 200 and owner.json()["status"] == "withdrawn"
    other = make_interview(contributor)
    by_curator = api_client_for(curator).post(f"/api/v1/interviews/{other.pk}/withdraw/", {"reason": "consent"})
    assert by_curator.status_code == 200 and by_curator.json()["status"] == "withdrawn"


def test_a_withheld_role_survives_a_save_and_a_re_read_of_the_user(curator):
    """The role is set aside on the request's user object only: saving writes it back, re-reading the row
    does not hand it back for the rest of the request."""
    from commons import curator_role

    curator_role.withhold(curator)
    curator.refresh_from_db()
    assert not curator.is_curator and curator_role.withheld(curator)
    curator.display_name = "Cora"
    curator.save()
    assert not curator.is_curator  # still set aside in this request
    assert type(curator).objects.get(pk=curator.pk).is_curator  # and kept in the database
