"""Request types. A view behind `login_required` receives a signed-in `User`, never `AnonymousUser`;
saying so in its signature lets the type checker hold services to receiving a real user."""

from __future__ import annotations

from django.http import HttpRequest
from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request

from commons.models import User


class AuthenticatedHttpRequest(HttpRequest):
    user: User


def acting_user(request: Request | HttpRequest) -> User:
    """The signed-in user of an API view whose permission class demands one (a 401 otherwise)."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise NotAuthenticated()
    return user
