"""Rate limits: per token, per client address for bad tokens, anonymous API use and /admin/login/, per user
for uploads and imports; the client address from the trusted-proxy count, never from a raw X-Forwarded-For.

The throttles' clock is frozen (`clock`), so no test depends on where in a minute it happens to run."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from commons import cache as resilient_cache
from commons import services
from commons.accounts import AccountAdapter
from commons.models import ImportJob
from commons.ratelimits import client_ip
from tests import factories

pytestmark = pytest.mark.django_db
EXPLORER_API = "/api/v1/patterns/overview/"


@pytest.fixture
def clock(monkeypatch) -> SimpleNamespace:
    now = SimpleNamespace(t=1_000_000.0)
    monkeypatch.setattr(SimpleRateThrottle, "timer", staticmethod(lambda: now.t))
    return now


@pytest.fixture
def limits(settings):
    def set_limits(**rates: str) -> None:
        settings.RATE_LIMITS = {**settings.RATE_LIMITS, **rates}
    return set_limits


def _request(remote: str, forwarded: str | None = None) -> SimpleNamespace:
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return SimpleNamespace(META=meta)


# --- the client address ----------------------------------------------------------------------------


def test_without_trusted_proxies_the_forwarded_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(_request("198.51.100.7", "203.0.113.1, 203.0.113.2")) == "198.51.100.7"


def test_with_one_proxy_the_client_is_the_right_most_entry(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    # The client wrote "6.6.6.6"; nginx appended the address it saw.
    assert client_ip(_request("10.0.0.2", "6.6.6.6, 203.0.113.9")) == "203.0.113.9"
    assert client_ip(_request("10.0.0.2", "203.0.113.9")) == "203.0.113.9"
    assert client_ip(_request("10.0.0.2")) == "10.0.0.2"  # not through the proxy: its peer
    assert client_ip(_request("10.0.0.2", "6.6.6.6, not-an-address")) == "10.0.0.2"


def test_with_two_proxies_the_second_from_the_right(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(_request("10.0.0.2", "6.6.6.6, 203.0.113.9, 10.0.0.1")) == "203.0.113.9"
    assert client_ip(_request("10.0.0.2", "[2001:db8::1]:4711, 10.0.0.1")) == "2001:db8::1"


def test_allauth_counts_by_the_same_address(settings, rf):
    settings.TRUSTED_PROXY_COUNT = 1
    request = rf.get("/accounts/login/", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9", REMOTE_ADDR="10.0.0.2")
    assert AccountAdapter(request).get_client_ip(request) == "203.0.113.9"


# --- anonymous API use, per address -----------------------------------------------------------------


def test_a_spoofed_forwarded_header_does_not_reset_the_explorer_limit(settings, limits, clock):
    settings.TRUSTED_PROXY_COUNT = 0
    limits(anon="3/min")
    client = Client()
    answers = [client.get(EXPLORER_API, HTTP_X_FORWARDED_FOR=f"203.0.113.{i}").status_code for i in range(5)]
    assert answers == [200, 200, 200, 429, 429]
    refused = client.get(EXPLORER_API, HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert int(refused["Retry-After"]) == 60
    assert "Too many requests" in refused.json()["detail"] and "60 seconds" in refused.json()["detail"]
    clock.t += 61
    assert client.get(EXPLORER_API).status_code == 200


def test_behind_one_proxy_each_client_address_has_its_own_limit(settings, limits, clock):
    settings.TRUSTED_PROXY_COUNT = 1
    limits(anon="2/min")
    client = Client()

    def get(forwarded: str) -> int:
        return client.get(EXPLORER_API, HTTP_X_FORWARDED_FOR=forwarded).status_code

    # One client rotating what it writes left of the proxy's entry stays one client.
    assert [get(f"6.6.6.{i}, 203.0.113.9") for i in range(3)] == [200, 200, 429]
    assert get("203.0.113.10") == 200  # another client


# --- tokens --------------------------------------------------------------------------------------------


def _token_client(user, name: str = "script") -> APIClient:
    _, key = services.create_api_token(user=user, name=name)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


def test_each_token_has_its_own_limit(contributor, limits, clock):
    limits(token="3/min")
    first, second = _token_client(contributor, "one"), _token_client(contributor, "two")
    assert [first.get("/api/v1/interviews/").status_code for _ in range(4)] == [200, 200, 200, 429]
    assert second.get("/api/v1/interviews/").status_code == 200
    clock.t += 61
    assert first.get("/api/v1/interviews/").status_code == 200


def test_invalid_tokens_are_limited_per_address(contributor, limits, clock):
    limits(invalid_token="3/min")
    guesser = APIClient(REMOTE_ADDR="203.0.113.66")
    answers = [guesser.get("/api/v1/interviews/", HTTP_AUTHORIZATION=f"Token rc_guess{i}").status_code
               for i in range(4)]
    assert answers == [401, 401, 401, 429]
    _, key = services.create_api_token(user=contributor, name="real")
    # Even a real token is refused from that address until the window passes; other addresses are unaffected.
    blocked = guesser.get("/api/v1/interviews/", HTTP_AUTHORIZATION=f"Token {key}")
    assert blocked.status_code == 429 and blocked["Retry-After"] == "60"
    assert "invalid API tokens" in blocked.json()["detail"]
    other = APIClient(REMOTE_ADDR="198.51.100.5")
    assert other.get("/api/v1/interviews/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
    clock.t += 61
    assert guesser.get("/api/v1/interviews/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200


def test_good_tokens_do_not_count_as_invalid_attempts(contributor, limits, clock):
    limits(invalid_token="2/min")
    api = _token_client(contributor)
    assert all(api.get("/api/v1/interviews/").status_code == 200 for _ in range(5))


# --- uploads and imports, per user ------------------------------------------------------------------------


def _jsonl(n: int) -> bytes:
    return json.dumps({"messages": [{"role": "user", "content": f"hello {n}"},
                                    {"role": "assistant", "content": "hi"}]}).encode() + b"\n"


def test_web_uploads_are_limited_per_user_with_a_styled_page(client, contributor, outsider, limits, clock):
    limits(upload="2/hour")
    client.force_login(contributor)
    for _ in range(2):
        assert client.post("/interviews/new/", {"transcript_text": "Human: hi\n\nAssistant: hello"}).status_code != 429
    refused = client.post("/interviews/new/", {"transcript_text": "Human: hi\n\nAssistant: hello"})
    assert refused.status_code == 429 and refused["Retry-After"] == "3600"
    page = refused.content.decode()
    assert "Too many requests" in page and "transcript uploads" in page and 'class="site-header"' in page
    assert client.get("/interviews/new/").status_code == 200  # reading the form is not an upload
    client.force_login(outsider)
    assert client.post("/interviews/new/", {"transcript_text": "Human: hi\n\nAssistant: hello"}).status_code != 429


def test_api_imports_are_limited_per_user(contributor, api_client_for, limits, clock):
    limits(**{"import": "1/hour"})
    api = api_client_for(contributor)
    first = api.post("/api/v1/imports/", {"file": SimpleUploadedFile("a.jsonl", _jsonl(1))})
    assert first.status_code == 202, first.content
    second = api.post("/api/v1/imports/", {"file": SimpleUploadedFile("b.jsonl", _jsonl(2))})
    assert second.status_code == 429 and second["Retry-After"] == "3600"
    assert ImportJob.objects.count() == 1
    assert api.get("/api/v1/imports/").status_code == 200


def test_api_uploads_are_limited_per_user(contributor, api_client_for, limits, clock):
    limits(upload="1/hour")
    api = api_client_for(contributor)
    model = factories.target_model().pk
    first = api.post("/api/v1/interviews/", {"transcript": "Human: a\n\nAssistant: b", "target_model": model},
                     format="json")
    assert first.status_code == 201, first.content
    second = api.post("/api/v1/interviews/", {"transcript": "Human: c\n\nAssistant: d", "target_model": model},
                      format="json")
    assert second.status_code == 429 and "rate limit" in second.json()["detail"]
    assert api.get("/api/v1/interviews/").status_code == 200


# --- the admin ------------------------------------------------------------------------------------------------


def test_admin_login_goes_through_allauth_and_is_limited_per_address(limits, clock):
    limits(admin_login="2/min")
    client = Client(REMOTE_ADDR="203.0.113.70")
    shown = client.get("/admin/login/?next=/admin/")
    assert shown.status_code == 302 and shown["Location"].startswith("/accounts/login/")
    answers = [client.post("/admin/login/", {"username": "admin", "password": f"guess{i}"}).status_code
               for i in range(3)]
    assert answers[:2] == [302, 302] and answers[2] == 429
    assert Client(REMOTE_ADDR="198.51.100.8").post("/admin/login/", {}).status_code == 302


# --- Redis down: limits fail open ---------------------------------------------------------------------------


@pytest.fixture
def cache_down(settings) -> Iterator[None]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.CACHES = {"default": {"BACKEND": "commons.cache.ResilientRedisCache",
                                   "LOCATION": f"redis://127.0.0.1:{port}/0"}}
    resilient_cache._down_until.clear()  # noqa: SLF001
    yield
    resilient_cache._down_until.clear()  # noqa: SLF001


def test_with_the_cache_down_limits_fail_open(cache_down, contributor, limits, clock):
    limits(anon="1/min", token="1/min")
    client = Client()
    assert [client.get(EXPLORER_API).status_code for _ in range(3)] == [200, 200, 200]
    api = _token_client(contributor)
    assert [api.get("/api/v1/interviews/").status_code for _ in range(3)] == [200, 200, 200]
