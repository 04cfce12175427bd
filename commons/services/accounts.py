"""Accounts: API tokens and roles."""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from commons.models import ApiToken, User
from commons.services.audit import record_audit
from commons.services.errors import ServiceError

TOKEN_PREFIX = "rc_"


def hash_token(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@transaction.atomic
def create_api_token(*, user: User, name: str, scope: str = ApiToken.Scope.READ_WRITE) -> tuple[ApiToken, str]:
    """Returns the token row and the key, which is never stored and cannot be shown again."""
    name = name.strip()
    if not name:
        raise ServiceError("Name the token (e.g. the script that will use it).", "name")
    if scope not in ApiToken.Scope.values:
        raise ServiceError(f"Choose the token's scope: {', '.join(ApiToken.Scope.labels)}.", "scope")
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name[:100], prefix=key[:10], key_hash=hash_token(key),
                                    scope=scope)
    record_audit(actor=user, verb="token.create", target=token, data={"name": token.name, "scope": scope})
    return token, key


@transaction.atomic
def revoke_api_token(*, token: ApiToken, actor: User) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record_audit(actor=actor, verb="token.revoke", target=token)
    return token


DISPLAY_NAME_MAX = 120


@transaction.atomic
def set_public_name(*, user: User, display_name: str, use_pseudonym: bool) -> User:
    """How the user appears in public (commons.names): a display name, or their stable pseudonym."""
    display_name = " ".join((display_name or "").split())
    if len(display_name) > DISPLAY_NAME_MAX:
        raise ServiceError(f"At most {DISPLAY_NAME_MAX} characters.", "display_name")
    if "@" in display_name:
        raise ServiceError("A display name cannot contain “@”: it is shown to everyone, e-mail addresses are not.",
                           "display_name")
    before = {"display_name": user.display_name, "use_pseudonym": user.use_pseudonym}
    user.display_name, user.use_pseudonym = display_name, bool(use_pseudonym)
    user.save(update_fields=["display_name", "use_pseudonym"])
    record_audit(actor=user, verb="account.public_name", target=user,
                 data={"before": before, "after": {"display_name": display_name, "use_pseudonym": user.use_pseudonym}})
    return user


ROLES = ("reviewer", "curator")


@transaction.atomic
def set_role(*, user: User, role: str, granted: bool, actor: User | None) -> User:
    if role not in ROLES:
        raise ServiceError(f"Unknown role “{role}”; choose one of {', '.join(ROLES)}.", "role")
    setattr(user, f"is_{role}", granted)
    user.save(update_fields=[f"is_{role}"])
    record_audit(actor=actor, verb="role.grant" if granted else "role.revoke", target=user, data={"role": role})
    return user


def touch_token(token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
