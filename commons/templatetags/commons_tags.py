from __future__ import annotations

import json

from django import template

register = template.Library()


@register.filter
def pretty_json(value: object) -> str:
    """Indented JSON for display; the template still escapes it."""
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)


@register.filter
def role_label(role: str) -> str:
    return {"interviewer": "Interviewer", "target": "Target model", "system": "System", "tool": "Tool"}.get(role, role)
