"""Production settings come from the environment: refuse the default secret, send real mail."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRINT = "import django; django.setup(); from django.conf import settings; print(settings.EMAIL_BACKEND)"


def _settings(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DEBUG", "SECRET_KEY", "EMAIL_"))}
    clean.update(DJANGO_SETTINGS_MODULE="commons.settings", DATABASE_URL="sqlite:///:memory:", **env)
    return subprocess.run([sys.executable, "-c", PRINT], cwd=ROOT, env=clean, capture_output=True, text=True,
                          timeout=60)


def test_production_mails_by_smtp_and_local_prints_to_the_console():
    assert _settings(DEBUG="0", SECRET_KEY="s" * 50).stdout.strip() == "django.core.mail.backends.smtp.EmailBackend"
    assert _settings(DEBUG="1").stdout.strip() == "django.core.mail.backends.console.EmailBackend"
    chosen = _settings(DEBUG="0", SECRET_KEY="s" * 50, EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend")
    assert chosen.stdout.strip() == "django.core.mail.backends.filebased.EmailBackend"


def test_production_refuses_the_default_secret():
    refused = _settings(DEBUG="0")
    assert refused.returncode != 0 and "Set SECRET_KEY" in refused.stderr


def test_debug_unset_means_production():
    """Only an explicit DEBUG=1 (as `make run` and tests/settings.py set) gives the development defaults."""
    refused = _settings()
    assert refused.returncode != 0 and "Set SECRET_KEY" in refused.stderr
    shown = _settings(SECRET_KEY="k" * 50)
    assert shown.returncode == 0 and shown.stdout.strip() == "django.core.mail.backends.smtp.EmailBackend"


def test_an_empty_secret_refuses_to_start_instead_of_failing_every_page():
    for empty in ("", "   "):
        refused = _settings(DEBUG="0", SECRET_KEY=empty)
        assert refused.returncode != 0 and "Set SECRET_KEY" in refused.stderr, refused.stderr
    assert _settings(DEBUG="1", SECRET_KEY="").returncode == 0  # locally: the development secret


def test_a_secret_file_is_read_and_a_missing_one_is_named(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("f" * 50 + "\n")
    assert _settings(DEBUG="0", SECRET_KEY_FILE=str(secret)).returncode == 0
    refused = _settings(DEBUG="0", SECRET_KEY_FILE=str(tmp_path / "absent"))
    assert refused.returncode != 0 and "SECRET_KEY_FILE=" in refused.stderr and "cannot be read" in refused.stderr


def test_a_boolean_that_is_not_a_boolean_refuses_to_start():
    refused = _settings(DEBUG="1", SECURE_COOKIES="ture")
    assert refused.returncode != 0
    assert "SECURE_COOKIES='ture' is not a boolean" in refused.stderr
    assert _settings(DEBUG="1", SECURE_COOKIES="off").returncode == 0


def test_an_integer_that_is_not_an_integer_refuses_to_start():
    refused = _settings(DEBUG="1", EMAIL_PORT="25x")
    assert refused.returncode != 0 and "EMAIL_PORT='25x' is not a whole number" in refused.stderr


def test_a_tunable_read_from_the_environment_must_be_a_number(monkeypatch):
    import pytest
    from django.core.exceptions import ImproperlyConfigured

    from commons.conf import setting

    monkeypatch.setenv("EXPLORER_MIN_INTERVIEWS", "ten")
    with pytest.raises(ImproperlyConfigured, match="EXPLORER_MIN_INTERVIEWS='ten' is not a whole number"):
        setting("EXPLORER_MIN_INTERVIEWS", 10)
    monkeypatch.setenv("EXPLORER_MIN_INTERVIEWS", "12")
    assert setting("EXPLORER_MIN_INTERVIEWS", 10) == 12


def test_the_deployment_check_reports_nothing_with_production_settings():
    """`check --deploy` as README's "Production" documents it: DEBUG off, a strong secret, TLS at the proxy.
    It generates the OpenAPI schema too, so a schema warning (untyped path, unknown auth, enum clash) fails here."""
    import secrets

    env = {k: v for k, v in os.environ.items() if not k.startswith(("DEBUG", "SECRET_KEY", "SECURE_", "DJANGO_"))}
    env.update(DJANGO_SETTINGS_MODULE="commons.settings", DATABASE_URL="sqlite:///:memory:", DEBUG="0",
               SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="commons.example.org", SECURE_PROXY_SSL_HEADER="1")
    done = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == "System check identified no issues (0 silenced)."
    assert "WARNING" not in done.stderr


def test_the_openapi_schema_describes_the_token_and_validates_without_warnings():
    done = subprocess.run([sys.executable, "manage.py", "spectacular", "--validate", "--fail-on-warn", "--format",
                           "openapi-json"], cwd=ROOT, env={**os.environ, "DEBUG": "1"}, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    import json

    schema = json.loads(done.stdout)
    assert schema["components"]["securitySchemes"]["tokenAuth"] == {
        "type": "http", "scheme": "bearer",
        "description": schema["components"]["securitySchemes"]["tokenAuth"]["description"]}
    interviews = schema["paths"]["/api/v1/interviews/"]["get"]
    assert {"tokenAuth": []} in interviews["security"]
    detail = schema["paths"]["/api/v1/imports/{id}/"]["get"]["parameters"]
    assert [p["schema"]["type"] for p in detail if p["name"] == "id"] == ["integer"]
    names = set(schema["components"]["schemas"])
    assert {"InterviewStatusEnum", "ReviewStatusEnum", "InterviewerKindEnum", "ReviewKindEnum"} <= names


def test_the_header_swaggers_authorize_sends_is_accepted(db, contributor):
    from rest_framework.test import APIClient

    from commons import services

    _, key = services.create_api_token(user=contributor, name="docs")
    client = APIClient()
    assert client.get("/api/v1/interviews/").status_code == 401
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get("/api/v1/interviews/").status_code == 200
