"""Every URL the site routes, as a concrete path with sample values, for sweeps over all of them."""

from __future__ import annotations

import re
from collections.abc import Iterator

from django.urls import URLPattern, URLResolver, get_resolver

SAMPLE = {"int": "1", "slug": "sample", "str": "sample", "path": "sample"}
GROUP = re.compile(r"\(\?P<(?P<name>\w+)>[^)]*\)")
CONVERTER = re.compile(r"<(?:(?P<kind>\w+):)?(?P<name>\w+)>")


def _walk(patterns: list, prefix: str = "") -> Iterator[str]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern).lstrip("^").rstrip("$")
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route


def _concrete(route: str) -> str | None:
    if "format" in route:  # DRF's `.json` suffix variants duplicate the plain routes
        return None
    route = GROUP.sub(lambda m: "1" if m["name"] in {"pk", "number"} else "sample", route)
    route = CONVERTER.sub(lambda m: SAMPLE.get(m["kind"] or "str", "sample"), route)
    route = route.replace("^", "").replace("$", "").replace("\\", "")
    if any(ch in route for ch in "()[]?*+"):
        return None
    return "/" + route


def concrete_paths(*, admin: bool = False) -> list[str]:
    paths = {_concrete(route) for route in _walk(get_resolver().url_patterns)}
    return sorted(p for p in paths if p is not None and (admin or not p.startswith("/admin/")))


def api_paths() -> list[str]:
    return [p for p in concrete_paths() if p.startswith("/api/v1/")]
