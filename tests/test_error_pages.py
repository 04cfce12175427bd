"""Styled error pages: 404 and 403 inside the site's layout, 500 standalone (no database, no context)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.test import Client
from django.urls import path

from commons.urls import urlpatterns as site_urlpatterns


def _forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied("Curators only.")


def _broken(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


urlpatterns = [path("test-only/forbidden/", _forbidden), path("test-only/broken/", _broken), *site_urlpatterns]


@pytest.mark.django_db
def test_404_is_the_styled_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert [t.name for t in response.templates][:2] == ["404.html", "base.html"]
    body = response.content.decode()
    assert "Page not found" in body and "css/site.css" in body and 'class="site-header"' in body


@pytest.mark.django_db
def test_a_missing_interview_gets_the_same_styled_404(client):
    response = client.get("/interviews/999999/")
    assert response.status_code == 404 and "Page not found" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_403_is_the_styled_page_with_the_reason(client):
    response = client.get("/test-only/forbidden/")
    assert response.status_code == 403
    assert "403.html" in [t.name for t in response.templates]
    body = response.content.decode()
    assert "Not allowed" in body and "Curators only." in body and "css/site.css" in body and "Log in" in body


@pytest.mark.django_db
def test_a_stale_form_token_gets_the_styled_csrf_page():
    response = Client(enforce_csrf_checks=True).post("/accounts/login/", {"login": "a@example.org", "password": "x"})
    assert response.status_code == 403
    body = response.content.decode()
    assert "This form has expired" in body and "css/site.css" in body


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_500_is_the_styled_page(client):
    client.raise_request_exception = False
    response = client.get("/test-only/broken/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong on our side" in body and "css/site.css" in body
    assert "a bug" not in body and "Traceback" not in body


def test_500_renders_without_a_database_or_a_request():
    """No `db` fixture: pytest-django fails any query, so this proves the page needs no database."""
    body = render_to_string("500.html")
    assert "Something went wrong on our side" in body and "/static/css/site.css" in body
