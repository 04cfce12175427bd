from __future__ import annotations

from django import template

from reviews.services.writing import METHOD_FLAGS

register = template.Library()


@register.filter
def flag_label(flag: str) -> str:
    return METHOD_FLAGS.get(flag, flag)
