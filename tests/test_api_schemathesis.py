"""Schemathesis over the whole OpenAPI schema, in-process through the WSGI app: generated requests to
every operation, anonymous and with a token, must get no server error and responses that match the
schema. Bounded (MAX_EXAMPLES per operation and caller) and derandomized, so a run is repeatable."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from commons.wsgi import application
from tests.factories import TRANSCRIPT

MAX_EXAMPLES = 30
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


@pytest.fixture
def keep_connection() -> Iterator[None]:
    """Schemathesis calls the WSGI app itself, whose end-of-request handler closes the database connection
    (and with it the test's transaction, on PostgreSQL); Django's test client disconnects it the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(keep_connection, make_user, make_interview, api_client_for):
    """Something to read: an interview with its turns; a caller who is reviewer and curator."""
    from commons.models import Study

    caller = make_user("caller@example.org", is_reviewer=True, is_curator=True)
    author = make_user("author@example.org")
    make_interview(author, text=TRANSCRIPT)
    study = Study.objects.create(title="Tone", slug="tone", factors={"tone": ["warm", "cold"]}, created_by=author)
    make_interview(author, study=study, conditions={"tone": "warm"}, topics=["memory"])
    from commons import services
    from tests.fixtures.mfa import give_authenticator_app

    give_authenticator_app(caller)  # curator calls need the token's owner to have a second factor
    _, key = services.create_api_token(user=caller, name="schemathesis")
    return {"Authorization": f"Token {key}"}


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_every_operation_answers_within_its_schema(case, world):
    case.call_and_validate(headers=world, checks=CHECKS)
    anonymous = case.call()
    case.validate_response(anonymous, checks=CHECKS)


@pytest.mark.django_db
def test_the_api_docs_run_under_the_csp_and_redoc_is_gone(client):
    """Redoc needs inline styles, blob: workers and Google Fonts, none of which the CSP allows: removed."""
    assert client.get("/api/redoc/").status_code == 404
    docs = client.get("/api/docs/")
    assert "script-src 'self'" in docs["Content-Security-Policy"]
    body = docs.content.decode()
    scripts = body.split("<script")[1:]
    assert scripts and all(part.lstrip().startswith("src=") for part in scripts), "an inline script the CSP blocks"
    assert "googleapis" not in body
