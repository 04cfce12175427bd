"""Benchmark modules collect their figures in a module-level ROWS list; the table is printed when the module ends."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="module", autouse=True)
def _print_table(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    rows: list[tuple[str, str]] | None = getattr(request.module, "ROWS", None)
    if rows is None:
        return
    width = max((len(name) for name, _ in rows), default=0)
    print(f"\n\n{request.module.TABLE_TITLE}")
    for name, figure in rows:
        print(f"  {name:<{width}}  {figure}")
