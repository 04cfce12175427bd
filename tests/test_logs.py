"""Structured logs: LOG_FORMAT=json writes one JSON object per line with level, logger, message and the request."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from django.http import HttpRequest, HttpResponse
from django.urls import path

from commons.logs import JsonFormatter, RequestContextFilter
from commons.urls import urlpatterns as site_urlpatterns
from tests.fixtures.environment import REPO

logger = logging.getLogger("commons.tests.logs")


def _logs_something(request: HttpRequest) -> HttpResponse:
    logger.warning("first line\nsecond line: %s", "detail", extra={"interview_id": 7, "request": request})
    return HttpResponse("ok")


def _fails(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


urlpatterns = [path("test-only/log/", _logs_something), path("test-only/fail/", _fails), *site_urlpatterns]


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """The handler LOGGING configures for LOG_FORMAT=json, attached to the root logger for this test."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestContextFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield stream
    root.removeHandler(handler)


def records(stream: io.StringIO) -> list[dict]:
    lines = stream.getvalue().splitlines()
    return [json.loads(line) for line in lines]  # every line is one whole JSON object


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_a_record_made_in_a_request_carries_its_id_and_path(client, json_lines):
    response = client.get("/test-only/log/")
    request_id = response["X-Request-ID"]
    [entry] = [r for r in records(json_lines) if r["logger"] == "commons.tests.logs"]
    assert entry["level"] == "WARNING" and entry["message"] == "first line\nsecond line: detail"
    assert entry["request_id"] == request_id and len(request_id) == 32
    assert entry["path"] == "/test-only/log/" and entry["interview_id"] == 7
    assert "request" not in entry and entry["time"].endswith("+00:00")


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_the_proxys_request_id_is_kept_and_a_hostile_one_replaced(client, json_lines):
    assert client.get("/test-only/log/", HTTP_X_REQUEST_ID="abc123def")["X-Request-ID"] == "abc123def"
    hostile = client.get("/test-only/log/", HTTP_X_REQUEST_ID='x"}\n{"level":"fake')["X-Request-ID"]
    assert len(hostile) == 32 and '"' not in hostile
    assert [r["request_id"] for r in records(json_lines) if r["logger"] == "commons.tests.logs"] == ["abc123def", hostile]


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_a_server_error_is_one_json_line_with_its_traceback(client, json_lines):
    client.raise_request_exception = False
    assert client.get("/test-only/fail/").status_code == 500
    [entry] = [r for r in records(json_lines) if r["logger"] == "django.request"]
    assert entry["level"] == "ERROR" and entry["status_code"] == 500 and entry["path"] == "/test-only/fail/"
    assert "RuntimeError: a bug" in entry["exc_info"]


@pytest.mark.django_db
def test_a_not_found_logged_after_the_middleware_still_names_its_request(client, json_lines):
    response = client.get("/no-such-page/")
    [entry] = [r for r in records(json_lines) if r["logger"] == "django.request"]
    assert entry["message"] == "Not Found: /no-such-page/" and entry["status_code"] == 404
    assert entry["request_id"] == response["X-Request-ID"] and entry["path"] == "/no-such-page/"


def _run(code: str, **env: str) -> subprocess.CompletedProcess:
    full = {**os.environ, "DJANGO_SETTINGS_MODULE": "commons.settings", "DEBUG": "1", **env}
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, env=full, capture_output=True, text=True,
                          timeout=60)


def test_log_format_json_configures_the_process_and_text_stays_the_default():
    code = ("import django, logging; django.setup(); log = logging.getLogger('commons.example'); "
            "log.warning('hello %s', 'world')\ntry:\n    1/0\nexcept ZeroDivisionError:\n    log.exception('boom')")
    done = _run(code, LOG_FORMAT="json")
    lines = done.stderr.splitlines()
    entries = [json.loads(line) for line in lines]
    assert [(e["level"], e["logger"], e["message"]) for e in entries] == [
        ("WARNING", "commons.example", "hello world"), ("ERROR", "commons.example", "boom")]
    assert entries[0]["request_id"] == "-" and "ZeroDivisionError" in entries[1]["exc_info"]
    text = _run(code).stderr
    assert "WARNING commons.example [-] hello world" in text
    refused = _run(code, LOG_FORMAT="xml")
    assert refused.returncode != 0 and "LOG_FORMAT='xml'" in refused.stderr
