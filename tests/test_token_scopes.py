"""API tokens scoped read-only: they read everything their owner may read and change nothing."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from commons.models import ApiToken, Interview

pytestmark = pytest.mark.django_db


def _client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def _create_on_account_page(client, user, scope: str) -> tuple[str, str]:
    client.force_login(user)
    response = client.post(reverse("account"), {"name": f"{scope} script", "scope": scope})
    key = re.search(r'id="new-token">(rc_[^<]+)<', response.content.decode()).group(1)
    return key, client.get(reverse("account")).content.decode()


def test_scope_is_chosen_on_the_account_page_and_shown_there(client, contributor):
    client.force_login(contributor)
    form = client.get(reverse("account")).content.decode()
    assert 'value="read" ' in form and "checked" in form.split('value="read"', 1)[1].split(">", 1)[0]
    _, page = _create_on_account_page(client, contributor, "read")
    assert ApiToken.objects.get(user=contributor).scope == ApiToken.Scope.READ_ONLY
    assert "<td>read-only</td>" in page


def test_read_only_token_reads_but_cannot_write(client, contributor, plain_transcript):
    key, _ = _create_on_account_page(client, contributor, "read")
    api = _client(key)
    assert api.get("/api/v1/interviews/").status_code == 200
    response = api.post("/api/v1/interviews/", {"transcript": plain_transcript}, format="json")
    assert response.status_code == 403
    assert "read-only" in response.json()["detail"]
    assert Interview.objects.count() == 0
    for method in ("put", "patch", "delete"):
        assert getattr(api, method)("/api/v1/interviews/1/").status_code == 403, method


def test_read_write_token_still_writes(client, contributor, plain_transcript):
    key, page = _create_on_account_page(client, contributor, "write")
    assert "<td>read and write</td>" in page
    response = _client(key).post("/api/v1/models/", {"name": "Written by a token"}, format="json")
    assert response.status_code == 201, response.content
