"""Shared checks for review services."""

from __future__ import annotations

from allauth.account.models import EmailAddress

from commons.models import User
from commons.services import ServiceError


class NotAllowed(ServiceError):
    """The acting user lacks the role for this action (shown as 403, not 400)."""

    def __init__(self, message: str, field: str = "non_field_errors") -> None:
        super().__init__(message, field)


def is_verified(user: User) -> bool:
    return EmailAddress.objects.filter(user=user, verified=True).exists()


def require_curator(user: User) -> None:
    if not (user and user.is_authenticated and user.is_curator):
        raise NotAllowed("Only curators can do this.")


def require_reviewer(user: User) -> None:
    if not (user and user.is_authenticated and user.is_reviewer):
        raise NotAllowed("Only approved reviewers can review. Apply on the review page.")
