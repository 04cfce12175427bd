"""Redacting turns and lifting redactions. The turns are never changed: what a viewer sees is decided at
read time by commons.redaction, so lifting a redaction restores exactly what was uploaded."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction

from commons.models import Interview, Redaction, User
from commons.services.audit import record_audit
from commons.services.errors import ServiceError

REASON_MAX = 500


@transaction.atomic
def redact_turn(*, interview: Interview, actor: User, turn_index: int, reason: str, and_earlier: bool = False,
                as_curator: bool = False) -> Redaction:
    """Hide a turn (and, with `and_earlier`, every turn before it) from the public. The contributor redacts
    their own interview; anyone else must be a curator acting as one (`as_curator`: the second factor passed)."""
    if actor.pk == interview.contributor_id:
        by = Redaction.By.CONTRIBUTOR
    elif as_curator and actor.is_curator:
        by = Redaction.By.CURATOR
    else:
        raise PermissionDenied("Only the contributor or a curator can redact this interview.")
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("Give a reason for the redaction; the public sees it in place of the text.", "reason")
    if len(reason) > REASON_MAX:
        raise ServiceError(f"The reason is {len(reason)} characters; at most {REASON_MAX}.", "reason")
    if not interview.turns.filter(index=turn_index).exists():
        raise ServiceError(f"This interview has no turn #{turn_index}.", "turn_index")
    if Redaction.objects.filter(interview=interview, turn_index=turn_index, and_earlier=and_earlier).exists():
        raise ServiceError(f"Turn #{turn_index}{' and the turns before it' if and_earlier else ''} is already "
                           "redacted.", "turn_index")
    redaction = Redaction.objects.create(interview=interview, turn_index=turn_index, and_earlier=and_earlier,
                                         reason=reason, by=by, redacted_by=actor)
    record_audit(actor=actor, verb="interview.redact", target=interview, data={
        "redaction": redaction.pk, "turn_index": turn_index, "and_earlier": and_earlier, "reason": reason, "by": by})
    return redaction


@transaction.atomic
def lift_redaction(*, redaction: Redaction, actor: User, as_curator: bool) -> None:
    """Un-redact: a curator's action only (the contributor asks a curator), recorded with what was lifted."""
    if not (as_curator and actor.is_curator):
        raise PermissionDenied("Only a curator can lift a redaction.")
    record_audit(actor=actor, verb="interview.unredact", target=redaction.interview, data={
        "redaction": redaction.pk, "turn_index": redaction.turn_index, "and_earlier": redaction.and_earlier,
        "reason": redaction.reason, "by": redaction.by})
    redaction.delete()
