"""Request parameters no view can use, refused once for every URL: a 400 naming the parameter.

A NUL character cannot be stored in PostgreSQL text and means nothing in a search, a filter or a
form field, yet reached the database from many views (`/interviews/?q=%00` was a 500). Checked here,
before any view runs: the path, every query parameter (name and value) and, for form posts, every
form field (uploaded files are the parsers' business; they name a NUL byte's offset).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import render

NUL = "\x00"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def first_nul(params: QueryDict) -> str | None:
    """The name of the first parameter whose name or any value holds a NUL, else None."""
    for name, values in params.lists():
        if NUL in name or any(NUL in value for value in values):
            return name
    return None


def printable(name: str) -> str:
    return name.replace(NUL, "\\0")[:80]


def nul_parameter(request: HttpRequest) -> tuple[str, str] | None:
    """(where, name) of a NUL in the path, the query or a posted form field."""
    if NUL in request.path:
        return "path", "path"
    name = first_nul(request.GET)
    if name is not None:
        return "query", name
    if request.method in {"POST", "PUT", "PATCH"} and request.content_type in FORM_TYPES:
        name = first_nul(request.POST)
        if name is not None:
            return "form", name
    return None


class RejectNulParametersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        found = nul_parameter(request)
        if found is None:
            return self.get_response(request)
        where, name = found
        shown = printable(name)
        message = ("The address contains a NUL character." if where == "path"
                   else f"“{shown}” contains a NUL character, which no parameter may hold.")
        if request.path.startswith("/api/"):
            return JsonResponse({shown: [message]}, status=400)
        return render(request, "bad_parameter.html", {"message": message, "parameter": shown}, status=400)
