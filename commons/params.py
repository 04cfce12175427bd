"""Parsing values that come from a URL or a form, so bad ones become a 400 naming the parameter."""

from __future__ import annotations

MAX_ID = 2**63 - 1  # the largest primary key any supported database stores


class BadParameter(ValueError):
    """A query or form parameter that cannot be used; `field` names it."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def parse_id(raw: object) -> int | None:
    """A database id (or another positive whole number: a page, a version) from text; None if it is not
    one — not ASCII digits, zero, or too large to be a key."""
    text = str(raw).strip()
    if not text.isascii() or not text.isdigit() or len(text) > 19:
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None


def require_id(raw: object, field: str) -> int:
    value = parse_id(raw)
    if value is None:
        raise BadParameter(f"“{str(raw)[:40]}” is not an id; {field} takes a whole number.", field)
    return value
