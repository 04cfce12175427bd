"""Two-factor sign-in, and the rule that curator pages open only after it (CURATOR_MFA_REQUIRED).

Codes are computed from the authenticator's secret exactly as a phone app computes them
(tests/fixtures/mfa.py); nothing here switches the rule off except the test that checks the switch."""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlparse

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from commons import services
from commons.curators import API_MESSAGE, SETUP_MESSAGE, VERIFY_MESSAGE
from commons.models import Study, User
from reviews.explorer.models import DatasetRelease
from reviews.models import MetricVersion
from tests import factories
from tests.factories import PASSWORD, TRANSCRIPT
from tests.fixtures.mfa import (
    current_code,
    give_authenticator_app,
    recovery_codes,
    sign_in_with_second_factor,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def curator_pages(contributor, make_interview) -> list[str]:
    """Every curator-only page one opens with GET."""
    interview = make_interview(contributor, text=TRANSCRIPT)
    factories.study("a-study", title="A study")
    return ["/curation/users/", "/curation/reviewers/", f"/curation/interviews/{interview.pk}/review/",
            "/curation/studies/a-study/review/", "/metrics/new/", "/metrics/specificity/propose/",
            "/agreement/adjudication/", "/agreement/?audience=internal", "/curation/audit/"]


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_a_curator_without_an_authenticator_is_sent_to_set_one_up_from_every_curator_page(curator, curator_pages):
    client = Client()
    client.force_login(curator)
    for path in curator_pages:
        response = client.get(path)
        assert response.status_code == 302 and response["Location"] == reverse("mfa_activate_totp"), path
        assert SETUP_MESSAGE in _messages(response), path


def test_curator_actions_are_refused_without_the_second_factor(curator, contributor):
    client = Client()
    client.force_login(curator)
    version = MetricVersion.objects.get(metric__slug="specificity")
    posts = [("/curation/users/", {"user": contributor.pk, "role": "curator", "grant": "1"}),
             ("/metrics/specificity/v1/retire/", {"reason": "old"}),
             ("/rubrics/starter/", {"versions": []}),
             ("/explore/data/new/", {"note": "release"})]
    for path, data in posts:
        response = client.post(path, data)
        assert response.status_code == 302 and response["Location"] == reverse("mfa_activate_totp"), path
    assert not User.objects.get(pk=contributor.pk).is_curator
    assert MetricVersion.objects.get(pk=version.pk).status == "adopted"
    assert not DatasetRelease.objects.exists()


def test_a_curator_with_an_authenticator_but_no_code_this_session_is_asked_for_one(curator, curator_pages):
    give_authenticator_app(curator)
    client = Client()
    client.force_login(curator)  # a session that never passed the second factor
    for path in curator_pages:
        response = client.get(path)
        target = urlparse(response["Location"])
        assert response.status_code == 302 and target.path == reverse("mfa_reauthenticate"), path
        assert parse_qs(target.query)["next"] == [path]
        assert VERIFY_MESSAGE in _messages(response)
    path = curator_pages[0]
    entered = client.post(f"{reverse('mfa_reauthenticate')}?next={path}", {"code": current_code()})
    assert entered.status_code == 302 and entered["Location"] == path
    assert client.get(path).status_code == 200


def test_with_the_second_factor_passed_every_curator_page_opens(curator, curator_pages):
    client = sign_in_with_second_factor(Client(), curator)
    for path in curator_pages:
        assert client.get(path).status_code == 200, path


def test_the_rule_does_not_touch_other_pages_or_other_people(curator, reviewer, curator_pages):
    client = Client()
    client.force_login(curator)
    for path in ("/", "/account/", "/interviews/", "/review/", "/metrics/", "/agreement/"):
        assert client.get(path).status_code == 200, path
    client.force_login(reviewer)
    assert all(client.get(path).status_code == 403 for path in curator_pages if "audience" not in path)


def test_a_wrong_code_is_refused_at_sign_in(curator):
    give_authenticator_app(curator)
    client = Client()
    response = client.post(reverse("account_login"), {"login": curator.email, "password": PASSWORD})
    assert response["Location"] == reverse("mfa_authenticate")
    right = current_code()
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    refused = client.post(reverse("mfa_authenticate"), {"code": wrong})
    assert refused.status_code == 200 and "Incorrect code" in refused.content.decode()
    assert client.get("/curation/users/").status_code == 302  # still not signed in
    assert client.get("/curation/users/")["Location"].startswith(reverse("account_login"))


def test_a_recovery_code_signs_in_once(curator):
    give_authenticator_app(curator, recovery_codes=True)
    code = recovery_codes(curator)[0]
    first = Client()
    first.post(reverse("account_login"), {"login": curator.email, "password": PASSWORD})
    assert first.post(reverse("mfa_authenticate"), {"code": code}).status_code == 302
    assert first.get("/curation/users/").status_code == 200  # a recovery code is a second factor too
    second = Client()
    second.post(reverse("account_login"), {"login": curator.email, "password": PASSWORD})
    again = second.post(reverse("mfa_authenticate"), {"code": code})
    assert again.status_code == 200 and "Incorrect code" in again.content.decode()
    assert code not in recovery_codes(curator)


@pytest.mark.django_db(transaction=True)  # allauth announces a new authenticator on commit, inside the request
def test_setting_up_the_app_passes_the_second_factor_and_links_back(curator):
    client = Client()
    client.post(reverse("account_login"), {"login": curator.email, "password": PASSWORD})  # no app yet: signed in
    assert client.get("/curation/users/")["Location"] == reverse("mfa_activate_totp")
    confirm = client.get(reverse("mfa_activate_totp"))  # allauth: confirm the password before adding a factor
    assert urlparse(confirm["Location"]).path == reverse("account_reauthenticate")
    assert SETUP_MESSAGE in client.get(confirm["Location"]).content.decode()
    confirmed = client.post(confirm["Location"], {"password": PASSWORD})
    assert confirmed["Location"] == reverse("mfa_activate_totp")
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'class="site-header"' in html  # the site's own layout
    secret = re.search(r'id="authenticator_secret"[^>]*value="([A-Z2-7]+)"', html) \
        or re.search(r'value="([A-Z2-7]{32})"', html)
    done = client.post(reverse("mfa_activate_totp"), {"code": current_code(secret.group(1))})
    assert done.status_code == 302 and done["Location"] == reverse("mfa_view_recovery_codes")
    codes_page = client.get(done["Location"]).content.decode()
    assert '<a href="/curation/users/">go back to the curator page you asked for</a>' in codes_page
    assert client.get("/curation/users/").status_code == 200
    assert Authenticator.objects.filter(user=curator, type=Authenticator.Type.RECOVERY_CODES).exists()


def test_the_account_page_links_to_two_factor_sign_in(client, curator, contributor):
    client.force_login(contributor)
    html = client.get("/account/").content.decode()
    assert "Two-factor sign-in" in html and reverse("mfa_activate_totp") in html
    assert "As a curator you need it" not in html
    client.force_login(curator)
    assert "As a curator you need it" in client.get("/account/").content.decode()
    give_authenticator_app(curator)
    html = client.get("/account/").content.decode()
    assert reverse("mfa_index") in html and reverse("mfa_activate_totp") not in html


def test_curator_api_calls_need_the_token_owner_to_have_an_authenticator(curator):
    _, key = services.create_api_token(user=curator, name="curation script")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    refused = api.post("/api/v1/studies/", {"title": "S", "slug": "s"}, format="json")
    assert refused.status_code == 201  # not a curator action
    refused = api.put("/api/v1/studies/s/review-config/", {"rubric": None, "target_reviews": 2}, format="json")
    assert refused.status_code == 403 and refused.json()["detail"] == API_MESSAGE
    assert api.get("/api/v1/agreement/?audience=internal").status_code == 403
    give_authenticator_app(curator)
    allowed = api.put("/api/v1/studies/s/review-config/", {"rubric": None, "target_reviews": 2}, format="json")
    assert allowed.status_code == 200, allowed.content
    assert Study.objects.get(slug="s").review_config.target_reviews == 2


def test_the_rule_can_be_turned_off(settings, curator, curator_pages):
    settings.CURATOR_MFA_REQUIRED = False
    client = Client()
    client.force_login(curator)
    assert all(client.get(path).status_code == 200 for path in curator_pages)


def test_the_demo_code_helper_agrees_with_rfc_6238_and_allauth():
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    from commons.totp import code_at

    # RFC 6238 appendix B, SHA-1, secret "12345678901234567890": 94287082 at t=59 (6 digits: 287082).
    rfc_secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    assert code_at(rfc_secret, 59) == "287082"
    assert code_at(rfc_secret, 1111111109) == "081804"
    for moment in (0, 1_700_000_000, 1_800_000_029):
        assert code_at("DEMOCURATORSECRETDEMOCURATORKEY2", moment) == format_hotp_value(
            hotp_value("DEMOCURATORSECRETDEMOCURATORKEY2", moment // 30))


def test_the_demo_curator_can_open_curator_pages_with_the_published_secret(settings):
    from commons.totp import code_at
    from reviews.synthetic.demo_interviews import DEMO_CURATOR_EMAIL, DEMO_CURATOR_TOTP_SECRET, DEMO_PASSWORD
    from reviews.synthetic.demo_interviews import load_demo

    load_demo(interviews=3)
    load_demo(interviews=3)  # again: still one authenticator
    curator = User.objects.get(email=DEMO_CURATOR_EMAIL)
    assert Authenticator.objects.filter(user=curator, type=Authenticator.Type.TOTP).count() == 1
    client = Client()
    assert client.post(reverse("account_login"), {"login": DEMO_CURATOR_EMAIL, "password": DEMO_PASSWORD}
                       )["Location"] == reverse("mfa_authenticate")
    current_code(DEMO_CURATOR_TOTP_SECRET)  # (waits out the last two seconds of a window)
    assert client.post(reverse("mfa_authenticate"), {"code": code_at(DEMO_CURATOR_TOTP_SECRET, time.time())}
                       ).status_code == 302
    assert client.get("/curation/users/").status_code == 200


def test_staff_need_the_second_factor_for_the_admin(make_user):
    staff = make_user("staff@example.org", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    bounced = client.get("/admin/")
    assert bounced.status_code == 302 and bounced["Location"].startswith("/admin/login/")
    sent = client.get(bounced["Location"])
    assert sent.status_code == 302 and sent["Location"] == reverse("mfa_activate_totp")
    assert "The admin needs two-factor sign-in" in " ".join(_messages(sent))
    assert client.get("/admin/commons/user/").status_code == 302
    signed_in = sign_in_with_second_factor(Client(), staff)
    assert signed_in.get("/admin/").status_code == 200
    assert signed_in.get("/admin/commons/user/").status_code == 200
