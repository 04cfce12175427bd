"""Answers shared by the review pages: 403 with a reason, and the curators-only check."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from commons.curators import second_factor_redirect
from commons.http import AuthenticatedHttpRequest


def forbidden(request: HttpRequest, message: str, *, apply_link: bool = False) -> HttpResponse:
    return render(request, "reviews/forbidden.html", {"message": message, "apply_link": apply_link}, status=403)


def curators_only(request: AuthenticatedHttpRequest) -> HttpResponse | None:
    """None when the page may open; else the answer: curators short of the second factor are sent to set it
    up or enter it (commons.curators), everyone else is refused."""
    if sent_on := second_factor_redirect(request):
        return sent_on
    if not request.user.is_curator:
        return forbidden(request, "Only curators can do this.")
    return None
