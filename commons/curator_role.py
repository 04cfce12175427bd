"""A curator's role set aside for one request (no second factor yet; commons/curators.py decides when).

Every selector that widens a curator's view (private and draft interviews, hidden names, redacted text,
internal agreement) reads `user.is_curator`. For a request that lacks the second factor the role is set
aside on that request's user object, so all of them answer as for an ordinary member; User.save() puts it
back before writing, so a withheld role is never lost. No imports: the model and the request rule both use it.
"""

from __future__ import annotations

from typing import Any

WITHHELD = "curator_role_withheld"


def withheld(user: Any) -> bool:
    """The user is a curator whose role this request sets aside until the second factor is passed."""
    return bool(getattr(user, WITHHELD, False))


def withhold(user: Any) -> None:
    user.is_curator = False
    setattr(user, WITHHELD, True)


def restore(user: Any) -> None:
    """Give the role back (the second factor was just passed, or the object is about to be saved)."""
    if withheld(user):
        user.is_curator = True
        setattr(user, WITHHELD, False)
