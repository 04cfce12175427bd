"""Study settings that change who may see what."""

from __future__ import annotations

from django.db import transaction

from commons.models import Study, User
from commons.services.audit import record_audit
from commons.services.errors import ServiceError


def may_manage_study(user: User | None, study: Study) -> bool:
    """The study's owner (who created it) or a curator."""
    return bool(user is not None and user.is_authenticated
                and (user.is_curator or (study.created_by_id is not None and study.created_by_id == user.pk)))


@transaction.atomic
def set_judge_scores_public(*, study: Study, public: bool, actor: User | None, via: str = "") -> Study:
    """Publish (or hide again) the model-judge scores of a study's interviews before human review ends.

    `actor` None is a management command run by the operator (`via` names it). Saving the study
    sends its post_save signal: the floors above recount what they publish (they listen; commons
    never calls them).
    """
    if actor is not None and not may_manage_study(actor, study):
        raise ServiceError("Only the study's owner or a curator can change whether its judge scores are public.",
                           "judge_scores_public")
    locked = Study.objects.select_for_update().get(pk=study.pk)
    if locked.judge_scores_public == public:
        study.judge_scores_public = public
        return locked
    locked.judge_scores_public = public
    locked.save(update_fields=["judge_scores_public"])
    record_audit(actor=actor, verb="study.judge_scores_public", target=locked,
                 data={"public": public, **({"via": via} if via else {})})
    study.judge_scores_public = public
    return locked
