from __future__ import annotations

import json

from django import template
from django.contrib.auth.models import AnonymousUser

from commons.models import User
from commons.names import pseudonym, public_name

register = template.Library()


@register.filter
def pretty_json(value: object) -> str:
    """Indented JSON for display; the template still escapes it."""
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)


@register.filter
def role_label(role: str) -> str:
    return {"interviewer": "Interviewer", "target": "Target model", "system": "System", "tool": "Tool"}.get(role, role)


TURN_PREVIEW_CHARS = 64 * 1024  # longer text in one block is cut here, with a link to the turn's full text


@register.filter
def clip_text(value: object) -> str:
    """The first TURN_PREVIEW_CHARS characters: a 10 MB single-line turn must not make a 25 MB page."""
    text = str(value)
    return text[:TURN_PREVIEW_CHARS] if len(text) > TURN_PREVIEW_CHARS else text


@register.filter
def clipped_chars(value: object) -> int:
    """How many characters `clip_text` leaves out (0 when it shows everything)."""
    return max(0, len(str(value)) - TURN_PREVIEW_CHARS)


@register.filter(name="public_name")
def public_name_filter(user: object) -> str:
    """`{{ interview.contributor|public_name }}`: the person as the public sees them (commons.names)."""
    return public_name(user)


@register.filter(name="pseudonym")
def pseudonym_filter(user: User | AnonymousUser | None) -> str:
    """The user's stable pseudonym, whether or not they use it (for their own account page)."""
    return pseudonym(user.pk) if isinstance(user, User) and user.pk else ""


@register.filter
def quote_hidden(mask: object, turn_index: int | None) -> bool:
    """An evidence quote inside a turn redacted from this viewer (`mask`: the view's commons.redaction.TurnMask)."""
    from commons.redaction import TurnMask

    return isinstance(mask, TurnMask) and mask.quote_hidden(turn_index)
