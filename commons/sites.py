"""The Site row allauth reads for e-mail subjects and links, kept equal to the settings after every migrate.

Django's sites framework creates it as "example.com"; e-mails would then say "[example.com] Please confirm
your e-mail address" and link there. `SITE_NAME` and the host of `SITE_ROOT` are the site's real name."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings


def site_domain() -> str:
    return urlsplit(settings.SITE_ROOT).netloc or "127.0.0.1:8000"


def name_the_site(sender: Any = None, **kwargs: Any) -> None:
    from django.contrib.sites.models import Site

    Site.objects.update_or_create(pk=settings.SITE_ID, defaults={"domain": site_domain(), "name": settings.SITE_NAME})
