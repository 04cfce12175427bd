"""The audit trail: every privileged change records who did what to which row."""

from __future__ import annotations

from commons.models import AuditEvent, User


def record_audit(*, actor: User | None, verb: str, target: object, data: dict | None = None) -> AuditEvent:
    return AuditEvent.objects.create(
        actor=actor,
        verb=verb,
        target_type=type(target).__name__,
        target_id=str(getattr(target, "pk", "")),
        data=data or {},
    )
