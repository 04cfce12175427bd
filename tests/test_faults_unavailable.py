"""Redis down, in-process: the cache degrades to no cache, pages that do not need the broker answer,
login works (rate limits fail open), and work that needs the broker is a clear 503 with its job row
marked failed — never a 500, never a row left "queued" forever. Redis is a closed port here; the
tests that stop a real Redis under a real worker are in test_worker_faults.py."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from commons import broker
from commons import cache as resilient_cache
from commons.broker import UNAVAILABLE_MESSAGE
from commons.models import ImportJob
from reviews.explorer.models import DatasetRelease
from tests.fixtures.payloads import chat_line, jsonl
from tests.fixtures.mfa import sign_in_with_second_factor


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def redis_down(settings) -> Iterator[str]:
    """Cache and broker both pointed at a port nothing listens on; tasks are sent, not run in-process."""
    from commons.celery import app

    url = f"redis://127.0.0.1:{closed_port()}"
    settings.CACHES = {"default": {"BACKEND": "commons.cache.ResilientRedisCache", "LOCATION": f"{url}/1"}}
    saved = (app.conf.broker_write_url, app.conf.broker_read_url, app.conf.task_always_eager)
    app.conf.broker_write_url = app.conf.broker_read_url = f"{url}/0"
    app.conf.task_always_eager = False
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app._pool = None  # noqa: SLF001 - forget connections to the real broker
    app.amqp._producer_pool = None  # noqa: SLF001
    resilient_cache._down_until.clear()  # noqa: SLF001
    broker._down_until[0] = 0.0  # noqa: SLF001
    yield url
    app.conf.broker_write_url, app.conf.broker_read_url, app.conf.task_always_eager = saved
    app._pool = None  # noqa: SLF001
    app.amqp._producer_pool = None  # noqa: SLF001
    resilient_cache._down_until.clear()  # noqa: SLF001
    broker._down_until[0] = 0.0  # noqa: SLF001


def test_an_unreachable_cache_is_an_empty_one_with_one_log_line(redis_down, caplog):
    caplog.set_level(logging.WARNING, logger="commons.cache")
    started = time.monotonic()
    assert cache.get("k", "default") == "default"
    cache.set("k", 1)
    assert cache.add("k", 1) is True  # like DummyCache: a debounce on add() errs towards doing the work
    assert cache.delete("k") is False and cache.get_many(["a", "b"]) == {} and cache.has_key("k") is False
    with pytest.raises(ValueError):
        cache.incr("k")
    assert cache.get_or_set("k", 5) == 5
    assert time.monotonic() - started < 3
    assert len([r for r in caplog.records if "cache unreachable" in r.getMessage()]) == 1


@pytest.mark.django_db(transaction=True)
def test_pages_and_login_work_with_redis_down(redis_down, make_user, make_interview, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    user = make_user("reader@example.org", password="right-password-1")
    interview = make_interview(user)
    anonymous = Client(raise_request_exception=False)
    for path in ["/", "/interviews/", f"/interviews/{interview.pk}/", "/explore/", "/explore/coverage/",
                 "/explore/agreement/", "/agreement/", "/metrics/", "/api/v1/patterns/overview/", "/explore/data/"]:
        started = time.monotonic()
        response = anonymous.get(path)
        assert response.status_code == 200, (path, response.status_code)
        assert time.monotonic() - started < 10, path
    # Rate limits read the cache, so they fail open: many failed logins, then the right password still works.
    for _ in range(12):
        anonymous.post("/accounts/login/", {"login": user.email, "password": "wrong"})
    response = anonymous.post("/accounts/login/", {"login": user.email, "password": "right-password-1"})
    assert response.status_code == 302, response.status_code
    assert anonymous.get("/account/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_an_upload_with_the_broker_down_is_a_503_and_its_job_says_why(redis_down, make_user, api_client_for):
    user = make_user("uploader@example.org")
    client = Client(raise_request_exception=False)
    client.force_login(user)
    response = client.post("/imports/new/", {"file": SimpleUploadedFile("rows.jsonl", jsonl([chat_line(1)])),
                                             "licence": "CC-BY-4.0", "visibility": "public"})
    assert response.status_code == 503 and response["Retry-After"]
    assert "background queue is unavailable" in response.content.decode()
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.FAILED and job.error == UNAVAILABLE_MESSAGE
    api = api_client_for(user).post("/api/v1/imports/", {"file": SimpleUploadedFile("r.jsonl", jsonl([chat_line(2)]))})
    assert api.status_code == 503 and "background queue is unavailable" in api.json()["detail"]
    assert set(ImportJob.objects.values_list("status", flat=True)) == {ImportJob.Status.FAILED}
    detail = client.get(f"/imports/{job.pk}/")
    assert detail.status_code == 200 and "background queue is unavailable" in detail.content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_release_request_with_the_broker_down_is_a_503_and_the_release_says_why(redis_down, make_user):
    client = Client(raise_request_exception=False)
    sign_in_with_second_factor(client, make_user("curator@example.org", is_curator=True))
    response = client.post("/explore/data/new/", {"note": "monthly"})
    assert response.status_code == 503 and "background queue is unavailable" in response.content.decode()
    release = DatasetRelease.objects.get()
    assert release.status == DatasetRelease.Status.FAILED and release.error == UNAVAILABLE_MESSAGE
