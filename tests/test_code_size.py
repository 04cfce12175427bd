"""Production code stays in rooms a reader can hold: no module over 500 lines, no function over 60.

Production code is `commons/` and `reviews/` without migrations. A function's length runs from its
`def` line to its last line (decorators not counted), nested functions counted in their parent too.
Stdlib `ast` only.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("commons", "reviews")
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60

# (module, function) → why it may stay long. Keep this short; every entry says why.
ALLOWED_LONG_FUNCTIONS: dict[tuple[str, str], str] = {}
# module → why it may stay long.
ALLOWED_LONG_MODULES: dict[str, str] = {}


def production_modules() -> list[Path]:
    return sorted(path for package in PACKAGES for path in (ROOT / package).rglob("*.py")
                  if "migrations" not in path.relative_to(ROOT).parts)


def _name(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def module_lengths() -> dict[str, int]:
    return {_name(path): len(path.read_text(encoding="utf-8").splitlines()) for path in production_modules()}


def function_lengths() -> dict[tuple[str, str], int]:
    """(module, qualified function name) → lines from `def` to its end."""
    found: dict[tuple[str, str], int] = {}
    for path in production_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        _collect(tree, _name(path), "", found)
    return found


def _collect(node: ast.AST, module: str, prefix: str, found: dict[tuple[str, str], int]) -> None:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            name = f"{prefix}{child.name}"
            if not isinstance(child, ast.ClassDef):
                assert child.end_lineno is not None
                found[(module, name)] = child.end_lineno - child.lineno + 1
            _collect(child, module, f"{name}.", found)
        else:
            _collect(child, module, prefix, found)


def test_the_check_sees_the_production_code() -> None:
    modules = module_lengths()
    assert "reviews/agreement/__init__.py" in modules and "commons/settings.py" in modules
    assert not any("/migrations/" in name for name in modules)
    functions = function_lengths()
    assert ("reviews/agreement/alpha.py", "compute_alpha") in functions
    assert ("reviews/agreement/ratings.py", "Ratings.from_matrix") in functions


def test_no_module_is_over_the_limit() -> None:
    too_long = {name: n for name, n in module_lengths().items()
                if n > MAX_MODULE_LINES and name not in ALLOWED_LONG_MODULES}
    assert not too_long, f"modules over {MAX_MODULE_LINES} lines (split them by concern): {too_long}"


def test_no_function_is_over_the_limit() -> None:
    too_long = {f"{module}:{name}": n for (module, name), n in function_lengths().items()
                if n > MAX_FUNCTION_LINES and (module, name) not in ALLOWED_LONG_FUNCTIONS}
    assert not too_long, f"functions over {MAX_FUNCTION_LINES} lines (split them into named steps): {too_long}"


def test_the_allow_lists_hold_only_what_is_still_long() -> None:
    modules, functions = module_lengths(), function_lengths()
    stale = [name for name in ALLOWED_LONG_MODULES if modules.get(name, 0) <= MAX_MODULE_LINES]
    stale += [f"{module}:{name}" for module, name in ALLOWED_LONG_FUNCTIONS
              if functions.get((module, name), 0) <= MAX_FUNCTION_LINES]
    assert not stale, f"no longer over the limit (or gone): remove from the allow-list: {stale}"
