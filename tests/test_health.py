"""/healthz (process up, nothing else) and /readyz (database, broker and Redis cache answer, else 503)."""

from __future__ import annotations

import socket
import time

import pytest
from django.db import OperationalError, connections

from tests.fixtures.environment import port_open, require


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens once the socket is closed


def test_healthz_answers_without_the_database_whatever_the_host_and_scheme(client, settings):
    """No `db` fixture: any query would fail this test."""
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["commons.example.org"]
    response = client.get("/healthz", HTTP_HOST="10.0.0.7:8000")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"
    assert client.get("/healthz/").status_code == 200
    assert client.get("/", HTTP_HOST="10.0.0.7:8000").status_code in (301, 400)  # everything else is guarded


def test_health_endpoints_take_only_get_and_head(client):
    assert client.head("/healthz").status_code == 200
    response = client.post("/healthz")
    assert response.status_code == 405 and response["Allow"] == "GET, HEAD"


@pytest.mark.django_db
def test_readyz_is_ready_with_the_database_and_in_process_tasks(client, settings):
    settings.CELERY_BROKER_URL = ""
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready" and body["failed"] == []
    assert body["checks"]["database"] == "ok" and body["checks"]["broker"].startswith("not configured")


@pytest.mark.django_db
def test_readyz_is_ready_with_a_live_redis_broker_and_cache(client, settings):
    require(port_open("127.0.0.1", 6379), "a Redis on 127.0.0.1:6379 is needed for this test")
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/7"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:6379/7"}}
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    assert response.json()["checks"] == {"database": "ok", "broker": "ok", "cache": "ok"}


@pytest.mark.django_db
def test_readyz_is_503_naming_the_broker_when_it_does_not_answer(client, settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port()}/0"
    started = time.monotonic()
    response = client.get("/readyz")
    assert time.monotonic() - started < 10
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable" and body["failed"] == ["broker"]
    assert body["checks"]["database"] == "ok" and body["checks"]["broker"].startswith("unavailable (")
    assert "127.0.0.1" not in response.content.decode()  # the reason is logged, not published


@pytest.mark.django_db
def test_readyz_is_503_naming_the_cache_when_redis_does_not_answer(client, settings):
    settings.CELERY_BROKER_URL = ""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": f"redis://127.0.0.1:{closed_port()}/0"}}
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["failed"] == ["cache"]


@pytest.mark.django_db
def test_readyz_is_503_naming_the_database_when_it_fails(client, settings, monkeypatch):
    settings.CELERY_BROKER_URL = ""

    def refused(*args: object, **kwargs: object) -> None:
        raise OperationalError("connection refused")

    monkeypatch.setattr(connections["default"], "cursor", refused)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["database"]
    assert response.json()["checks"]["database"] == "unavailable (OperationalError)"
