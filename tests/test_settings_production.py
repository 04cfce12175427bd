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
    assert _settings().stdout.strip() == "django.core.mail.backends.console.EmailBackend"
    chosen = _settings(DEBUG="0", SECRET_KEY="s" * 50, EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend")
    assert chosen.stdout.strip() == "django.core.mail.backends.filebased.EmailBackend"


def test_production_refuses_the_default_secret():
    refused = _settings(DEBUG="0")
    assert refused.returncode != 0 and "Set SECRET_KEY" in refused.stderr


def test_a_boolean_that_is_not_a_boolean_refuses_to_start():
    refused = _settings(SECURE_COOKIES="ture")
    assert refused.returncode != 0
    assert "SECURE_COOKIES='ture' is not a boolean" in refused.stderr
    assert _settings(SECURE_COOKIES="off").returncode == 0


def test_an_integer_that_is_not_an_integer_refuses_to_start():
    refused = _settings(EMAIL_PORT="25x")
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
