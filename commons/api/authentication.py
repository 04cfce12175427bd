from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request

from commons import curators
from commons.models import ApiToken
from commons.ratelimits import InvalidTokenThrottle, wait_seconds
from commons.services import hash_token, touch_token


class PersonalTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Token rc_…` (or `Bearer rc_…`) with a personal token from the account page."""

    keywords = ("token", "bearer")

    def authenticate(self, request: Request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].decode("latin-1").lower() not in self.keywords:
            return None
        failures = InvalidTokenThrottle()
        if failures.blocked(request):  # a guesser at this address is refused before any look-up
            refused = exceptions.Throttled(wait=wait_seconds(failures))
            setattr(refused, "reason", "Too many invalid API tokens from your address.")  # worded by commons.api.errors
            raise refused
        if len(header) != 2:
            failures.record_failure()
            raise exceptions.AuthenticationFailed(_("Invalid token header: expected 'Token <key>'."))
        try:
            key = header[1].decode("ascii")
        except UnicodeDecodeError:
            failures.record_failure()
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        token = ApiToken.objects.select_related("user").filter(key_hash=hash_token(key), revoked_at__isnull=True).first()
        if token is None or not token.user.is_active:
            failures.record_failure()
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token."))
        if token.scope == ApiToken.Scope.READ_ONLY and request.method not in permissions.SAFE_METHODS:
            # Refused for every view at once, whatever its own permission classes say.
            raise exceptions.PermissionDenied(_(
                "This API token is read-only: it may only read (GET, HEAD, OPTIONS). "
                "Create a read-and-write token on /account/ to change data."))
        touch_token(token)
        if token.user.is_curator and curators.required() and not curators.has_authenticator_app(token.user):
            curators.withhold(token.user)  # the owner has no second factor: the token acts as a member's
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return "Token"
