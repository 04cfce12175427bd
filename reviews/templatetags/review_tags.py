from __future__ import annotations

from typing import Any

from django import template

from commons.curators import acts_as_curator
from commons.models import Interview
from reviews.selectors import can_see_source_scores

from reviews.services.writing import METHOD_FLAGS

register = template.Library()


@register.filter
def flag_label(flag: str) -> str:
    return METHOD_FLAGS.get(flag, flag)


@register.inclusion_tag("reviews/_original_upload_link.html", takes_context=True)
def original_upload_link(context: template.Context, interview: Interview) -> dict[str, Any]:
    """The original-upload link, or why it is closed: a file holding the source's scores is blind."""
    request = context["request"]
    if interview.redactions.exists() and not acts_as_curator(request):
        return {"interview": interview, "open": False, "redacted": True}
    return {"interview": interview,
            "open": not interview.source_scores or can_see_source_scores(request.user, interview)}


@register.inclusion_tag("reviews/_source_scores.html", takes_context=True)
def source_scores_panel(context: template.Context, interview: Interview) -> dict[str, Any]:
    user = context["request"].user
    return {"interview": interview,
            "show": bool(interview.source_scores) and can_see_source_scores(user, interview)}
