"""How the suite itself is built: worlds come from tests/factories.py and the fixtures from a conftest, so no
test module imports another test module (or a conftest) or a fixture, and autouse fixtures live only in a
conftest. Read with the standard library's `ast`; nothing under tests/ is imported."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.no_django

TESTS = Path(__file__).resolve().parent
SOURCES = sorted(TESTS.rglob("*.py"))
TEST_MODULES = [p for p in SOURCES if p.name.startswith("test_")]


def parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


def where(path: Path, line: int | None = None) -> str:
    return f"tests/{path.relative_to(TESTS).as_posix()}" + (f":{line}" if line else "")


def imports(tree: ast.Module) -> list[tuple[int, str, list[str]]]:
    """(line, module, names) of every import at any depth; `import a.b` has no names."""
    found: list[tuple[int, str, list[str]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append((node.lineno, "." * node.level + (node.module or ""), [a.name for a in node.names]))
    return found


def is_fixture(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return (isinstance(target, ast.Attribute) and target.attr == "fixture") or (
        isinstance(target, ast.Name) and target.id == "fixture")


def is_autouse(decorator: ast.expr) -> bool:
    """autouse= anything but a literal False."""
    return isinstance(decorator, ast.Call) and any(
        k.arg == "autouse" and not (isinstance(k.value, ast.Constant) and k.value.value is False)
        for k in decorator.keywords)


def fixtures(tree: ast.Module) -> dict[str, bool]:
    """Fixture name → whether it is autouse, for every fixture the module defines."""
    return {node.name: any(is_autouse(d) for d in node.decorator_list if is_fixture(d))
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and any(map(is_fixture, node.decorator_list))}


def module_file(module: str) -> Path | None:
    """The file under tests/ that `tests.a.b` (or `a.b`, found through the tests/ folder on sys.path) names."""
    parts = module.lstrip(".").split(".")
    if parts[0] == "tests":
        parts = parts[1:]
    path = TESTS.joinpath(*parts).with_suffix(".py") if parts and all(parts) else None
    return path if path is not None and path.is_file() else None


def test_no_test_module_imports_a_test_module_or_a_conftest() -> None:
    offences = []
    for path in TEST_MODULES:
        for line, module, names in imports(parse(path)):
            for name in [module, *(f"{module}.{n}" for n in names)]:
                last = name.rsplit(".", 1)[-1]
                if last.startswith("test_") or last == "conftest":
                    offences.append(f"{where(path, line)} imports {name.lstrip('.')}")
    assert not offences, "shared builders go in tests/factories.py, fixtures in a conftest:\n" + "\n".join(offences)


def test_no_test_module_imports_a_fixture() -> None:
    defined = {path: set(fixtures(parse(path))) for path in SOURCES}
    offences = []
    for path in TEST_MODULES:
        for line, module, names in imports(parse(path)):
            taken = set(names) & defined.get(module_file(module), set())
            if taken:
                offences.append(f"{where(path, line)} imports the fixture(s) {', '.join(sorted(taken))}")
    assert not offences, "fixtures come from a conftest (or pytest_plugins), not an import:\n" + "\n".join(offences)


def test_autouse_fixtures_live_only_in_a_conftest() -> None:
    offences = [f"{where(path)}: {name}" for path in SOURCES if path.name != "conftest.py"
                for name, autouse in fixtures(parse(path)).items() if autouse]
    assert not offences, "autouse fixtures belong in a conftest:\n" + "\n".join(offences)


def test_the_checks_read_the_suite() -> None:
    """A check that reads nothing passes; make sure these read what they police."""
    assert TESTS / "test_test_hygiene.py" in TEST_MODULES and len(TEST_MODULES) > 30
    assert fixtures(parse(TESTS / "conftest.py"))["_in_process_tasks_and_clean_cache"] is True
    assert fixtures(parse(TESTS / "benchmarks" / "conftest.py"))["_print_table"] is True
    offending = ast.parse("from tests.test_imports import chat_line\nfrom test_x import y\nimport tests.conftest\n"
                          "@pytest.fixture(scope='module', autouse=True)\ndef f(): ...\n")
    assert [m for _, m, _ in imports(offending)] == ["tests.test_imports", "test_x", "tests.conftest"]
    assert fixtures(offending) == {"f": True}
    assert module_file("tests.fixtures.db") == TESTS / "fixtures" / "db.py"
