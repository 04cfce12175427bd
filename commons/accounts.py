"""allauth's adapter: the site's own choices where allauth asks."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest

from commons.ratelimits import client_ip


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request: HttpRequest) -> str:
        """allauth's login, sign-up and reset limits count per address exactly as the site's other limits."""
        return client_ip(request)
