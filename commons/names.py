"""How a person is named in public: the one rule every page, API response and export goes through.

A person appears under their display name if they set one and did not ask for a pseudonym; otherwise
under a stable pseudonym ("Member 4f2a9c1e") derived from their id with an HMAC keyed by SECRET_KEY.
It is the same on every page and every release, cannot be turned back into the id or the e-mail, and
never comes from the e-mail address or the username (allauth derives usernames from e-mail addresses).
E-mail addresses are shown only to their owner (/account/) and to curators on curator-only pages.
"""

from __future__ import annotations

from typing import Any

from django.utils.crypto import salted_hmac

PSEUDONYM_PREFIX = "Member"
PSEUDONYM_HEX_DIGITS = 8  # 32 bits: among 10,000 people the chance of any two sharing one is about 1%
_SALT = "commons.names.pseudonym"


def pseudonym(user_id: int) -> str:
    """The stable pseudonym of the user with this id. Rotating SECRET_KEY renames everyone."""
    digest = salted_hmac(_SALT, str(user_id), algorithm="sha256").hexdigest()
    return f"{PSEUDONYM_PREFIX} {digest[:PSEUDONYM_HEX_DIGITS]}"


def public_name(user: Any) -> str:
    """How `user` is shown to anyone but themselves and curators (empty for no user)."""
    if user is None or getattr(user, "pk", None) is None:
        return ""
    display_name = " ".join((user.display_name or "").split())
    if display_name and not user.use_pseudonym:
        return display_name
    return pseudonym(user.pk)


def names_by_id(users: Any) -> dict[int, str]:
    """{user id: public name} for an iterable of users (for exports that name many people)."""
    return {user.pk: public_name(user) for user in users}
