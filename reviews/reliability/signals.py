"""Recompute agreement when an interview leaves or joins the public set by any path — the withdraw
service, a curator in the admin, a status or visibility change — not only through the services that
already schedule it (scheduling twice is coalesced, and unchanged inputs write nothing)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from commons.models import Interview
from commons.selectors import save_may_change_listing
from reviews.reliability.services import schedule_recompute_for_interview


@receiver(post_save, sender=Interview, dispatch_uid="reliability_interview_saved")
def _interview_saved(sender: type, instance: Interview, created: bool, **kwargs: Any) -> None:
    if created or kwargs.get("raw"):
        return  # a new interview has no reviews yet; fixtures load raw
    if save_may_change_listing(kwargs.get("update_fields")):
        schedule_recompute_for_interview(instance)
