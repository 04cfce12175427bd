"""The floor plan runs one way: commons ← reviews ← reliability ← explorer, and the pure modules stay pure.

Read from the source with `ast` (nothing is imported), so a lazy import inside a function counts too.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _modules(*parts: str) -> Iterator[Path]:
    base = ROOT.joinpath(*parts)
    if base.suffix == ".py":
        yield base
        return
    yield from (p for p in sorted(base.rglob("*.py")) if "migrations" not in p.parts)


def _imports(path: Path) -> Iterator[tuple[int, str]]:
    """Every module name `path` imports, absolute or relative, at any depth of the file."""
    parts = path.relative_to(ROOT).with_suffix("").parts if path.is_relative_to(ROOT) else (path.stem,)
    package = ".".join(parts[:-1])
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            yield node.lineno, name
            for alias in node.names:  # `from reviews import explorer` names a module too
                yield node.lineno, f"{name}.{alias.name}"


def _violations(paths: Iterator[Path], forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for path in paths:
        for line, name in _imports(path):
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                found.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    return sorted(set(found))


def test_the_ground_floor_imports_nothing_from_reviews() -> None:
    assert _violations(_modules("commons"), ("reviews",)) == []


@pytest.mark.parametrize("room", ["models.py", "selectors.py", "services"])
def test_the_review_floor_does_not_reach_up_into_reliability_or_the_explorer(room: str) -> None:
    assert _violations(_modules("reviews", room), ("reviews.reliability", "reviews.explorer")) == []


def test_reliability_does_not_reach_up_into_the_explorer() -> None:
    assert _violations(_modules("reviews", "reliability"), ("reviews.explorer",)) == []


PURE = [("reviews", "agreement"), ("reviews", "explorer", "stats.py"), ("reviews", "explorer", "rankings.py"),
        ("reviews", "reliability", "slicing.py"), ("reviews", "derived.py"),
        ("commons", "transcripts")]


@pytest.mark.parametrize("parts", PURE, ids=["/".join(p) for p in PURE])
def test_pure_modules_import_no_django(parts: tuple[str, ...]) -> None:
    path = ROOT.joinpath(*parts)
    if not path.exists():
        path = path.with_suffix(".py")  # reviews/agreement is a module or a package
    assert path.exists(), path
    assert _violations(_modules(*path.relative_to(ROOT).parts), ("django", "rest_framework", "celery")) == []


def test_the_parsers_load_without_django_settings() -> None:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    code = ("import sys, commons.transcripts as t; t.parse(b'Human: hi\\n\\nAssistant: hello');"
            "print(sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_checker_sees_a_lazy_import(tmp_path: Path) -> None:
    """The rule is only as good as its reader: an import inside a function must be caught."""
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from reviews.selectors import can_see_reviews\n")
    assert [name for _, name in _imports(sample)][0] == "reviews.selectors"
