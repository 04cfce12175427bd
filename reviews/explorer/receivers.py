"""Refresh triggers: a review submitted or revised, judge scores imported, an interview published,
withdrawn or reviewed, a study's judge scores made public or blind, agreement recomputed. Each only *requests* a debounced refresh after commit
(see refresh.py); bulk writes that bypass signals are caught by the periodic input check."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from commons.models import Interview, Interviewer, Redaction, Study, TargetModel, User
from commons.selectors import save_may_change_listing
from reviews import signals
from reviews.explorer import release_withdrawals
from reviews.explorer.materialize import forget_public_fingerprint
from reviews.explorer.refresh import request_refresh
from reviews.explorer.selectors import forget_pages
from reviews.models import Metric, MetricVersion
from reviews.reliability.models import AgreementResult


@receiver(signals.review_submitted, dispatch_uid="explorer_review_submitted")
def _review_submitted(sender: type, **kwargs: Any) -> None:
    request_refresh()


@receiver(signals.judge_scores_imported, dispatch_uid="explorer_judge_scores_imported")
def _judge_scores_imported(sender: type, **kwargs: Any) -> None:
    request_refresh()


@receiver(post_save, sender=Interview, dispatch_uid="explorer_interview_saved")
def _interview_saved(sender: type, instance: Interview, created: bool, **kwargs: Any) -> None:
    if not created and instance.status == Interview.Status.WITHDRAWN and save_may_change_listing(
            kwargs.get("update_fields")):
        release_withdrawals.mark_releases_containing(instance.pk)  # in the withdrawal's own transaction
    if created or save_may_change_listing(kwargs.get("update_fields")):
        # Now, and again at commit: a reader between the two could have cached the old set.
        forget_public_fingerprint()
        transaction.on_commit(forget_public_fingerprint)
        request_refresh()


@receiver(post_save, sender=Redaction, dispatch_uid="explorer_redaction_saved")
def _redaction_saved(sender: type, instance: Redaction, created: bool, **kwargs: Any) -> None:
    if created:  # releases built before hold the turn's text: marked like a withdrawal, in the same transaction
        release_withdrawals.mark_releases_containing(instance.interview_id)


@receiver(post_save, sender=Study, dispatch_uid="explorer_study_saved")
def _study_saved(sender: type, instance: Study, created: bool, **kwargs: Any) -> None:
    fields = kwargs.get("update_fields")
    if not created and (fields is None or "judge_scores_public" in fields):
        # Whose judge values count changed: the same as a change in the public set.
        forget_public_fingerprint()
        transaction.on_commit(forget_public_fingerprint)
        request_refresh()


@receiver(post_save, sender=AgreementResult, dispatch_uid="explorer_agreement_saved")
def _agreement_saved(sender: type, instance: AgreementResult, **kwargs: Any) -> None:
    request_refresh()


def _forget_pages(sender: type, **kwargs: Any) -> None:
    # Now and at commit, as for the public fingerprint: a reader in between could cache the old name.
    forget_pages()
    transaction.on_commit(forget_pages)


for _named in (TargetModel, Interviewer, Study, Metric, MetricVersion):
    post_save.connect(_forget_pages, sender=_named, dispatch_uid=f"explorer_pages_{_named.__name__}_saved")
    post_delete.connect(_forget_pages, sender=_named, dispatch_uid=f"explorer_pages_{_named.__name__}_deleted")


@receiver(post_save, sender=User, dispatch_uid="explorer_pages_user_renamed")
def _user_saved(sender: type, instance: User, created: bool, **kwargs: Any) -> None:
    """A reviewer's public name is in the filter form and on pages; a sign-in (last_login only) is not a rename."""
    fields = kwargs.get("update_fields")
    if not created and (fields is None or {"display_name", "use_pseudonym"} & set(fields)):
        _forget_pages(sender)
