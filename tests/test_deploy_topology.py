"""The production topology in .deploy/ holds together: the services, their commands, the environment the
settings need, the healthchecks and the proxy. There is no Docker engine in CI, so this reads the files and
runs Django's deployment check on exactly the environment compose gives the web service."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from typing import Any

import pytest
import yaml

from tests.fixtures.environment import REPO

DEPLOY = REPO / ".deploy"
APP_SERVICES = ("migrate", "web", "worker", "beat")
# What production cannot do without (README, "Production"); compose must give each to every app service.
PRODUCTION_NEEDS = ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "SITE_ROOT", "DATABASE_URL", "CELERY_BROKER_URL",
                    "REDIS_URL", "SECURE_PROXY_SSL_HEADER", "EMAIL_HOST", "DEFAULT_FROM_EMAIL")
OPERATOR_VALUES = {"SITE_HOST": "commons.example.org", "SECRET_KEY": secrets.token_urlsafe(50),
                   "POSTGRES_PASSWORD": "a-database-password", "EMAIL_HOST": "smtp.example.org",
                   "DEFAULT_FROM_EMAIL": "Research Commons <noreply@commons.example.org>"}
INTERPOLATION = re.compile(r"\$\$|\$\{(?P<name>[A-Z0-9_]+)(?:(?P<op>:[-?])(?P<arg>[^}]*))?\}")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    return compose["services"]


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's `${NAME}`, `${NAME:-default}`, `${NAME:?error}` and `$$`."""
    def one(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match.group("name"), match.group("op"), match.group("arg")
        if env.get(name):
            return env[name]
        if op == ":?":
            raise KeyError(f"{name}: {arg}")
        return arg if op == ":-" else ""
    return INTERPOLATION.sub(one, value)


def variables_the_app_reads() -> set[str]:
    settings_source = (REPO / "commons" / "settings.py").read_text()
    names = set(re.findall(r'env(?:str|bool|int)\(\s*"([A-Z0-9_]+)"', settings_source))
    names |= {f"{n}_FILE" for n in re.findall(r'envstr\(\s*"([A-Z0-9_]+)"', settings_source)}
    for path in [*(REPO / "commons").rglob("*.py"), *(REPO / "reviews").rglob("*.py")]:
        names |= set(re.findall(r'setting\(\s*"([A-Z0-9_]+)"', path.read_text()))
    return names | {"WEB_CONCURRENCY"}  # read by gunicorn itself


def test_every_part_of_the_topology_is_there(services):
    assert set(services) >= {"web", "worker", "beat", "postgres", "redis", "proxy", "migrate"}
    assert services["postgres"]["image"].startswith("postgres:15")  # the pg_dump / pg_restore of the README
    assert services["proxy"]["image"].startswith("nginx:")
    assert services["beat"]["deploy"]["replicas"] == 1


def test_the_commands_run_the_real_wsgi_module_and_celery_app(services):
    from celery.app.utils import find_app

    import commons.wsgi
    from commons.celery import app

    web = services["web"]["command"]
    assert web[:2] == ["gunicorn", "commons.wsgi"] and "0.0.0.0:8000" in web and "--threads" in web
    # Threads, so a slow analytic request holds one thread and not a process; a timeout that only ends hung ones.
    assert web[web.index("--worker-class") + 1] == "gthread" and int(web[web.index("--timeout") + 1]) >= 60
    # Kept connections outlive nginx's upstream keepalive (60 s): else nginx reuses one gunicorn just closed.
    assert int(web[web.index("--keep-alive") + 1]) > 60
    assert callable(commons.wsgi.application)
    for name, role in (("worker", "worker"), ("beat", "beat")):
        command = services[name]["command"]
        assert command[:4] == ["celery", "-A", "commons", role], command
        assert find_app(command[2]) is app
    assert services["migrate"]["command"] == ["python", "manage.py", "migrate", "--noinput"]
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert services[name]["depends_on"]["redis"]["condition"] == "service_healthy"
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert "collectstatic --noinput" in dockerfile and '"gunicorn", "commons.wsgi"' in dockerfile


def test_every_app_service_gets_what_production_needs_and_nothing_unknown(services):
    known = variables_the_app_reads()
    for name in APP_SERVICES:
        environment = services[name]["environment"]
        missing = [v for v in PRODUCTION_NEEDS if v not in environment and f"{v}_FILE" not in environment]
        assert not missing, (name, missing)
        unknown = sorted(set(environment) - known)
        assert not unknown, f"{name} sets variables no setting reads: {unknown}"
        assert environment["DEBUG"] == "0"
        for secret in ("SECRET_KEY", "DATABASE_URL"):  # a missing secret stops compose instead of starting empty
            assert ":?" in environment[secret], secret
    example = (DEPLOY / "env.example").read_text()
    for match in INTERPOLATION.finditer((DEPLOY / "compose.yaml").read_text()):
        if match.group("name"):
            assert f"\n{match.group('name')}=" in f"\n{example}", f"env.example lacks {match.group('name')}"
    readme = (REPO / "README.md").read_text()
    production = readme[readme.index("## Production"):]
    assert all(f"`{v}`" in production for v in PRODUCTION_NEEDS)


def test_healthchecks_point_at_the_health_endpoints(services):
    def probe(name: str) -> str:
        return " ".join(services[name]["healthcheck"]["test"])

    assert "http://127.0.0.1:8000/readyz" in probe("web")
    assert "http://127.0.0.1/healthz" in probe("proxy")
    assert "inspect ping" in probe("worker")
    assert "pg_isready" in probe("postgres") and "redis-cli ping" in probe("redis")
    assert services["proxy"]["depends_on"]["web"]["condition"] == "service_healthy"


def test_the_web_environment_passes_djangos_deployment_check(services):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DEBUG", "SECRET_KEY", "DJANGO_"))}
    for key, value in services["web"]["environment"].items():
        env[key] = interpolate(str(value), OPERATOR_VALUES)
    assert env["DATABASE_URL"] == "postgres://commons:a-database-password@postgres:5432/commons"
    env.update(DJANGO_SETTINGS_MODULE="commons.settings", VAR_DIR=str(REPO / "var"))
    done = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues (0 silenced)." in done.stdout
    with pytest.raises(KeyError, match="SECRET_KEY"):
        interpolate(services["web"]["environment"]["SECRET_KEY"], {})


def nginx_blocks(text: str) -> list[str]:
    """Statements of an nginx config without comments; fails on unbalanced braces or a missing semicolon."""
    depth, statements = 0, []
    for raw in text.splitlines():
        line = re.sub(r"#.*$", "", raw).strip()
        if not line:
            continue
        if line.endswith("{"):
            depth += 1
        elif line == "}":
            depth -= 1
        else:
            assert line.endswith(";") or line.endswith("'"), f"nginx statement without ';': {raw!r}"
        assert depth >= 0, raw
        statements.append(line)
    assert depth == 0, "unbalanced braces in nginx.conf"
    return statements


def test_the_proxy_config_sends_everything_to_web(services):
    from django.conf import settings

    text = (DEPLOY / "nginx.conf").read_text()
    statements = nginx_blocks(text)
    assert "upstream web {" in statements and "server web:8000;" in statements
    assert services["web"]["expose"] == ["8000"]
    assert statements.count("proxy_pass http://web;") == 2  # the https site and the plain-http /healthz
    for header in ("Host $host;", "X-Forwarded-Proto $scheme;", "X-Forwarded-For $proxy_add_x_forwarded_for;",
                   "X-Request-ID $request_id;"):
        assert any(s.startswith(f"proxy_set_header {header}") for s in statements), header
    assert "listen 443 ssl default_server;" in statements and "location = /healthz {" in statements
    assert "return 301 https://$host$request_uri;" in statements
    body_limit = int(re.search(r"client_max_body_size (\d+)m;", text).group(1)) * 1024 * 1024
    assert body_limit > settings.IMPORT_MAX_BYTES
    assert "./nginx.conf:/etc/nginx/nginx.conf:ro" in services["proxy"]["volumes"]
    certs = [v for v in services["proxy"]["volumes"] if v.endswith(":/etc/nginx/certs:ro")]
    assert certs and "ssl_certificate /etc/nginx/certs/fullchain.pem;" in statements
