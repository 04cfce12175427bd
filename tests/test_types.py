"""The type checker is part of the suite: mypy as pyproject.toml configures it ([tool.mypy]: commons and
reviews, with the django-stubs and djangorestframework-stubs plugins) reports no error, and the pure
modules pass `mypy --strict` as well.

mypy runs in a subprocess, not through `mypy.api.run`: the Django plugin sets up `commons.settings` in
the process it runs in, which must not be this one (pytest-django has set up tests.settings here).
Run it alone with `DEBUG=1 .venv/bin/mypy` (DEBUG=1 as for every local use of the settings).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PURE_MODULES = ["commons/transcripts", "reviews/agreement", "reviews/explorer/stats.py", "reviews/explorer/rankings.py",
                "reviews/derived.py"]

pytestmark = pytest.mark.no_django


def _mypy(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mypy", *args], cwd=ROOT, env={**os.environ, "DEBUG": "1"},
                          capture_output=True, text=True, timeout=900)


def test_mypy_reports_no_error() -> None:
    result = _mypy()
    assert result.returncode == 0, f"mypy found errors:\n{result.stdout}{result.stderr}"


def test_the_pure_modules_pass_strict() -> None:
    # No config file (`--config-file=`), so no Django plugin: these modules must not need it. A cache of its
    # own, since other options would invalidate the shared one.
    result = _mypy("--config-file=", "--strict", "--python-version", "3.11",
                   "--cache-dir", str(ROOT / ".venv" / "mypy_cache_strict"), *PURE_MODULES)
    assert result.returncode == 0, f"mypy --strict found errors:\n{result.stdout}{result.stderr}"
