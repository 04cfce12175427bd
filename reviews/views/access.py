"""Answers shared by the review pages: 403 with a reason, and the curators-only check."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from commons.http import AuthenticatedHttpRequest


def forbidden(request: HttpRequest, message: str, *, apply_link: bool = False) -> HttpResponse:
    return render(request, "reviews/forbidden.html", {"message": message, "apply_link": apply_link}, status=403)


def curators_only(request: AuthenticatedHttpRequest) -> HttpResponse | None:
    if not request.user.is_curator:
        return forbidden(request, "Only curators can do this.")
    return None
