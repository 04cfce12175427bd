"""Becoming a reviewer: applications, curator decisions and reviewer profiles (affiliation, conflicts)."""

from __future__ import annotations

import re

from django.db import IntegrityError, transaction
from django.utils import timezone

from commons.models import User
from commons.services import ServiceError, record_audit, set_public_name, set_role
from reviews.models import ReviewerApplication, ReviewerProfile
from reviews.services.common import NotAllowed, is_verified, require_curator

_SPLIT = re.compile(r"[\n;]+")


def parse_conflicts(text: str) -> list[str]:
    """One conflict per line (or separated by semicolons): an e-mail address or an organisation's name."""
    seen: list[str] = []
    for part in _SPLIT.split(text or ""):
        part = " ".join(part.split())[:200]
        if part and part.casefold() not in {s.casefold() for s in seen}:
            seen.append(part)
    if len(seen) > 100:
        raise ServiceError("At most 100 declared conflicts.", "conflicts")
    return seen


def ensure_profile(user: User) -> ReviewerProfile:
    """The reviewer's profile, created on first need."""
    profile = ReviewerProfile.objects.filter(user=user).first()
    if profile is not None:
        return profile
    for _ in range(5):
        try:
            with transaction.atomic():
                return ReviewerProfile.objects.create(user=user, affiliation=user.affiliation[:200])
        except IntegrityError:
            profile = ReviewerProfile.objects.filter(user=user).first()
            if profile is not None:
                return profile
    raise ServiceError("Could not create a reviewer profile; try again.")


@transaction.atomic
def apply_to_review(*, user: User, expertise: str, affiliation: str = "", conflicts: str = "") -> ReviewerApplication:
    if not is_verified(user):
        raise NotAllowed("Verify your e-mail address before applying.")
    if user.is_reviewer:
        raise ServiceError("You are already a reviewer.", "non_field_errors")
    expertise = (expertise or "").strip()
    if len(expertise) < 30:
        raise ServiceError("Describe your expertise in a few sentences (at least 30 characters).", "expertise")
    if len(expertise) > 5000:
        raise ServiceError("At most 5,000 characters.", "expertise")
    affiliation = " ".join((affiliation or "").split())
    if len(affiliation) > 200:
        raise ServiceError("At most 200 characters.", "affiliation")
    parse_conflicts(conflicts)
    if ReviewerApplication.objects.filter(applicant=user, status=ReviewerApplication.Status.PENDING).exists():
        raise ServiceError("Your application is already waiting for a curator.", "non_field_errors")
    try:
        with transaction.atomic():
            application = ReviewerApplication.objects.create(applicant=user, expertise=expertise,
                                                             affiliation=affiliation, conflicts=(conflicts or "").strip())
    except IntegrityError:
        raise ServiceError("Your application is already waiting for a curator.", "non_field_errors") from None
    record_audit(actor=user, verb="reviewer.apply", target=application)
    return application


@transaction.atomic
def decide_application(*, actor: User, application: ReviewerApplication, approve: bool,
                       note: str = "") -> ReviewerApplication:
    """Approve (grants the reviewer role and records the declared affiliation and conflicts) or decline."""
    require_curator(actor)
    application = ReviewerApplication.objects.select_for_update().select_related("applicant").get(pk=application.pk)
    if application.status != ReviewerApplication.Status.PENDING:
        raise ServiceError(f"This application was already {application.status}.", "status")
    if application.applicant_id == actor.pk:
        raise NotAllowed("Another curator must decide on your own application.")
    if not approve and not (note or "").strip():
        raise ServiceError("Give the applicant a reason.", "note")
    application.status = ReviewerApplication.Status.APPROVED if approve else ReviewerApplication.Status.DECLINED
    application.decided_by = actor
    application.decided_at = timezone.now()
    application.decision_note = (note or "").strip()[:4000]
    application.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    if approve:
        applicant = application.applicant
        profile = ensure_profile(applicant)
        profile.affiliation = application.affiliation
        profile.conflicts = parse_conflicts(application.conflicts)
        profile.expertise = application.expertise
        profile.save(update_fields=["affiliation", "conflicts", "expertise"])
        if application.affiliation and not applicant.affiliation:
            applicant.affiliation = application.affiliation
            applicant.save(update_fields=["affiliation"])
        set_role(user=applicant, role="reviewer", granted=True, actor=actor)
    record_audit(actor=actor, verb="reviewer.approve" if approve else "reviewer.decline", target=application,
                 data={"applicant": application.applicant_id, "note": application.decision_note})
    return application


@transaction.atomic
def update_reviewer_profile(*, user: User, use_pseudonym: bool | None = None, conflicts: str | None = None,
                            affiliation: str | None = None) -> ReviewerProfile:
    """Reviewers may add conflicts and change how they appear (the account-wide pseudonym preference,
    commons.names); narrowing declared conflicts is logged."""
    if use_pseudonym is not None and bool(use_pseudonym) != user.use_pseudonym:
        set_public_name(user=user, display_name=user.display_name, use_pseudonym=bool(use_pseudonym))
    profile = ensure_profile(user)
    profile = ReviewerProfile.objects.select_for_update().get(pk=profile.pk)
    before = {"conflicts": list(profile.conflicts), "affiliation": profile.affiliation}
    if conflicts is not None:
        profile.conflicts = parse_conflicts(conflicts)
    if affiliation is not None:
        affiliation = " ".join(affiliation.split())
        if len(affiliation) > 200:
            raise ServiceError("At most 200 characters.", "affiliation")
        profile.affiliation = affiliation
    profile.save(update_fields=["conflicts", "affiliation"])
    record_audit(actor=user, verb="reviewer.profile", target=profile,
                 data={"before": before, "after": {"conflicts": profile.conflicts, "affiliation": profile.affiliation}})
    return profile
