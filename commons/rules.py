"""Rules the ground floor applies but a floor above defines, installed at start-up.

The interview pages and API live here, yet whether a viewer may see scores that came inside an
upload is the blind-review rule, which belongs to `reviews`. `reviews` installs its rule from its
AppConfig.ready(); until then (or without the reviews app) only the contributor sees them.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.models import AnonymousUser

from commons.models import Interview, User

SourceScoresRule = Callable[[User | AnonymousUser | None, Interview], bool]


def _contributor_only(user: User | AnonymousUser | None, interview: Interview) -> bool:
    return bool(user is not None and user.is_authenticated and interview.contributor_id == user.pk)


_source_scores_rule: SourceScoresRule = _contributor_only


def install_source_scores_rule(rule: SourceScoresRule) -> None:
    global _source_scores_rule
    _source_scores_rule = rule


def may_see_source_scores(user: User | AnonymousUser | None, interview: Interview) -> bool:
    return _source_scores_rule(user, interview)
