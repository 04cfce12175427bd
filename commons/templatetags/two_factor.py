"""Two-factor state for templates (the account page's section), without widening the account view."""

from __future__ import annotations

from typing import Any

from django import template

from commons import curators

register = template.Library()


@register.filter
def has_authenticator_app(user: Any) -> bool:
    return bool(user and user.is_authenticated and curators.has_authenticator_app(user))


@register.simple_tag(takes_context=True)
def curator_mfa_required(context: Any) -> bool:
    return curators.required()
