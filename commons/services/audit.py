"""The audit trail: every privileged change records who did what to which row."""

from __future__ import annotations

from commons.models import AuditEvent, User


def audit_event(*, actor: User | None, verb: str, target: object, data: dict | None = None) -> AuditEvent:
    """The event, not yet saved: for writing many in one statement (a bulk import's batch)."""
    return AuditEvent(actor=actor, verb=verb, target_type=type(target).__name__,
                      target_id=str(getattr(target, "pk", "")), data=data or {})


def record_audit(*, actor: User | None, verb: str, target: object, data: dict | None = None) -> AuditEvent:
    event = audit_event(actor=actor, verb=verb, target=target, data=data)
    event.save()
    return event
