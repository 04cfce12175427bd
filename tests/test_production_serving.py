"""The site as production runs it: `collectstatic`, `gunicorn commons.wsgi` with DEBUG off, static files from
WhiteNoise under hashed names, and the explorer's charts drawn in Chromium."""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.environment import REPO, port_open

pytestmark = pytest.mark.browser
HASHED = re.compile(r"/static/[\w/.-]+\.[0-9a-f]{12}\.(?:css|js|svg)$")
HEADER_BACKGROUND = "rgb(21, 35, 63)"  # .site-header in static/css/site.css


def production_env(folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DEBUG", "DJANGO_", "SECRET_KEY"))}
    env.update(DJANGO_SETTINGS_MODULE="commons.settings", DEBUG="0", SECRET_KEY=secrets.token_urlsafe(50),
               ALLOWED_HOSTS="127.0.0.1,localhost", DATABASE_URL=f"sqlite:///{folder / 'commons.sqlite3'}",
               VAR_DIR=str(folder / "var"), STATIC_ROOT=str(folder / "static"), CELERY_BROKER_URL="", REDIS_URL="",
               SECURE_SSL_REDIRECT="0", SECURE_COOKIES="0")  # plain http on localhost: no TLS in this test
    return env


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def production_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("production")
    env = production_env(folder)
    assert "post-processed" in manage(env, "collectstatic", "--noinput")
    manage(env, "migrate", "--noinput")
    manage(env, "load_demo", "--interviews", "24")
    port = free_port()
    log = (folder / "gunicorn.log").open("wb")
    # Threads, as in .deploy/compose.yaml: a browser's idle preconnections would each hold a sync worker.
    command = ["gunicorn", "commons.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--worker-class", "gthread",
               "--threads", "4", "--timeout", "120", "--keep-alive", "75"]
    server = subprocess.Popen([sys.executable, "-m", *command], cwd=REPO, env=env, stdout=log,
                              stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 30
    while not port_open("127.0.0.1", port):
        assert server.poll() is None and time.monotonic() < deadline, (folder / "gunicorn.log").read_text()
        time.sleep(0.2)
    yield f"http://127.0.0.1:{port}"
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)
    log.close()
    assert "Traceback" not in (folder / "gunicorn.log").read_text()


def fetch(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_gunicorn_serves_styled_pages_hashed_static_files_and_drawn_charts(production_site, browser, artifacts_dir):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    problems: list[str] = []
    static: dict[str, int] = {}
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("response", lambda r: static.__setitem__(r.url, r.status) if "/static/" in r.url else None)

    assert page.goto(f"{production_site}/explore/").status == 200
    page.wait_for_selector("canvas.explorer-chart[data-drawn='1']")
    assert page.evaluate("getComputedStyle(document.querySelector('.site-header')).backgroundColor") \
        == HEADER_BACKGROUND
    charts = page.evaluate("""() => [...document.querySelectorAll('canvas.explorer-chart')].map(c => {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let inked = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) inked++;
        return {chart: Chart.getChart(c) !== undefined, inked: inked / (c.width * c.height)}; })""")
    assert charts and all(c["chart"] and c["inked"] > 0.01 for c in charts), charts
    page.screenshot(path=str(artifacts_dir / "production-explorer.png"), full_page=True)

    assert static and all(status == 200 for status in static.values()), static
    assert all(HASHED.search(url) for url in static), sorted(static)
    stylesheet = page.evaluate("document.querySelector('link[rel=stylesheet]').getAttribute('href')")
    status, headers, body = fetch(production_site + stylesheet, **{"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Type"].startswith("text/css")
    assert "immutable" in headers["Cache-Control"] and headers.get("Content-Encoding") == "gzip"
    assert "Content-Security-Policy" in headers

    missing = page.goto(f"{production_site}/no-such-page/")
    assert missing.status == 404
    assert page.evaluate("getComputedStyle(document.querySelector('.site-header')).backgroundColor") \
        == HEADER_BACKGROUND
    assert "Page not found" in page.content() and "URLconf" not in page.content()  # no debug page
    page.screenshot(path=str(artifacts_dir / "production-404.png"))
    assert not [p for p in problems if "404" not in p], problems
    context.close()


def test_production_health_and_no_debug_details(production_site):
    assert fetch(f"{production_site}/healthz")[0] == 200
    status, _, body = fetch(f"{production_site}/readyz")
    assert status == 200 and b'"database": "ok"' in body
    status, _, body = fetch(f"{production_site}/static/css/no-such-file.css")
    assert status == 404 and b"Traceback" not in body
