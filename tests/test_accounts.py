"""Sign-up with mandatory e-mail verification, roles, personal API tokens."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse

from commons.models import ApiToken, AuditEvent, User
from tests.fixtures.mfa import sign_in_with_second_factor

pytestmark = pytest.mark.django_db


def test_signup_requires_email_verification(client):
    response = client.post(reverse("account_signup"), {"email": "new@example.org", "password1": "a-long-pass-phrase-9",
                                                        "password2": "a-long-pass-phrase-9"})
    assert response.status_code == 302
    assert "confirm-email" in response["Location"] or "verification" in response["Location"]
    assert len(mail.outbox) == 1
    # Not logged in until verified:
    assert client.get(reverse("interview_submit")).status_code == 302
    response = client.post(reverse("account_login"), {"login": "new@example.org", "password": "a-long-pass-phrase-9"})
    assert client.get(reverse("interview_submit")).status_code == 302
    link = re.search(r"https?://[^\s]+/accounts/confirm-email/[^\s]+", mail.outbox[-1].body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    response = client.post("/" + path)
    assert response.status_code == 302
    assert client.get(reverse("interview_submit")).status_code == 200


def test_emails_name_the_site_not_example_com(client, make_user, settings):
    """allauth puts the Site row's name in every subject and body; migrate keeps that row this site's."""
    make_user("forgetful@example.org")
    client.post(reverse("account_reset_password"), {"email": "forgetful@example.org"})
    client.post(reverse("account_signup"), {"email": "new@example.org", "password1": "a-long-pass-phrase-9",
                                            "password2": "a-long-pass-phrase-9"})
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        assert message.subject.startswith("[Research Commons]"), message.subject
        assert "example.com" not in message.subject + message.body
    from django.contrib.sites.models import Site

    assert Site.objects.get_current().domain == "127.0.0.1:8000"  # SITE_ROOT's host


def test_login_rate_limited(client, make_user):
    make_user("victim@example.org")
    bodies = [client.post(reverse("account_login"), {"login": "victim@example.org", "password": "wrong"}).content.decode()
              for _ in range(7)]
    assert "Too many failed login attempts" not in bodies[0]
    assert "Too many failed login attempts" in bodies[-1]
    # Even the right password is refused while the limit holds.
    response = client.post(reverse("account_login"), {"login": "victim@example.org", "password": "correct-horse-battery"})
    assert "Too many failed login attempts" in response.content.decode()


def test_password_reset_sends_mail(client, make_user):
    make_user("forgetful@example.org")
    response = client.post(reverse("account_reset_password"), {"email": "forgetful@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and "forgetful@example.org" in mail.outbox[0].to


def test_token_is_shown_once_and_can_be_revoked(client, contributor):
    client.force_login(contributor)
    response = client.post(reverse("account"), {"name": "upload script", "scope": "write"})
    key = re.search(r'id="new-token">(rc_[^<]+)<', response.content.decode()).group(1)
    token = ApiToken.objects.get(user=contributor)
    assert token.key_hash != key and key not in token.key_hash
    assert key not in client.get(reverse("account")).content.decode()  # never shown again
    api = client.__class__()
    assert api.get("/api/v1/interviews/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
    client.post(reverse("token_revoke", args=[token.pk]))
    assert api.get("/api/v1/interviews/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 401


def test_cannot_revoke_someone_elses_token(client, contributor, outsider):
    from commons import services

    token, _ = services.create_api_token(user=contributor, name="mine")
    client.force_login(outsider)
    assert client.post(reverse("token_revoke", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_grant_role_command(make_user):
    user = make_user("expert@example.org")
    call_command("grant_role", "expert@example.org", "reviewer")
    user.refresh_from_db()
    assert user.is_reviewer and not user.is_curator
    call_command("grant_role", "expert@example.org", "reviewer", "--revoke")
    user.refresh_from_db()
    assert not user.is_reviewer
    with pytest.raises(CommandError):
        call_command("grant_role", "nobody@example.org", "curator")
    assert AuditEvent.objects.filter(verb="role.grant").count() == 1


def test_curator_grants_roles_in_the_web_ui(client, curator, contributor, outsider):
    client.force_login(outsider)
    assert client.get(reverse("curation_users")).status_code == 403
    assert client.post(reverse("curation_users"), {"user": outsider.pk, "role": "curator", "grant": "1"}).status_code == 403
    assert not User.objects.get(pk=outsider.pk).is_curator
    client.logout()
    sign_in_with_second_factor(client, curator)
    assert contributor.email in client.get(reverse("curation_users")).content.decode()
    client.post(reverse("curation_users"), {"user": contributor.pk, "role": "reviewer", "grant": "1"})
    assert User.objects.get(pk=contributor.pk).is_reviewer
    event = AuditEvent.objects.get(verb="role.grant")
    assert event.actor == curator and event.target_id == str(contributor.pk)
