"""OpenAPI description of the personal-token authentication, so the docs' Authorize button sends it."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class PersonalTokenScheme(OpenApiAuthenticationExtension):
    target_class = "commons.api.authentication.PersonalTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        # HTTP bearer: Swagger's Authorize takes the bare key and sends `Authorization: Bearer <key>`, which
        # the authentication accepts as it accepts `Token <key>`.
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal token from your account page (`/account/`), sent as "
                           "`Authorization: Token <key>` or `Authorization: Bearer <key>`.",
        }
