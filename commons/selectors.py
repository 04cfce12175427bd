"""Reads, always through the acting user's scope. Anything that can reveal an interview goes here."""

from __future__ import annotations

import json
from datetime import date
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.db.models.fields.json import KeyTextTransform
from django.http import Http404

from commons import curators, redaction
from commons.models import ApiToken, AuditEvent, ImportJob, Interview, Interviewer, Study, TargetModel, Turn, User
from commons.params import BadParameter, parse_id, require_id

if TYPE_CHECKING:
    from typing_extensions import TypeIs

Status = Interview.Status
Visibility = Interview.Visibility
PUBLISHED = [Status.SUBMITTED, Status.IN_REVIEW, Status.REVIEWED]


def save_may_change_listing(update_fields: Iterable[str] | None) -> bool:
    """Whether an Interview save (by its `update_fields`; None = every field) can move it into or out of
    what the public may list — what a signal receiver caching public numbers must react to."""
    return update_fields is None or bool({"status", "visibility"} & set(update_fields))


def _is_user(user: User | AnonymousUser | None) -> TypeIs[User]:
    return bool(user is not None and user.is_authenticated)


def viewable_interviews(user: User | AnonymousUser | None) -> QuerySet[Interview]:
    """Interviews this user may open by link (unlisted ones included)."""
    qs = Interview.objects.select_related("target_model", "interviewer", "study", "contributor")
    if _is_user(user) and user.is_curator:
        return qs
    shared = Q(status__in=PUBLISHED, visibility__in=[Visibility.PUBLIC, Visibility.UNLISTED])
    if not _is_user(user):
        return qs.filter(shared)
    scope = shared | Q(contributor=user)
    if user.is_researcher:
        scope |= Q(status__in=PUBLISHED, visibility=Visibility.RESEARCHERS)
    return qs.filter(scope)


def listed_interviews(user: User | AnonymousUser | None) -> QuerySet[Interview]:
    """Interviews that appear in listings, counts and search for this user (unlisted ones only to their owner)."""
    qs = viewable_interviews(user)
    if _is_user(user) and user.is_curator:
        return qs.exclude(Q(visibility=Visibility.UNLISTED) & ~Q(contributor=user))
    if not _is_user(user):
        return qs.filter(visibility=Visibility.PUBLIC)
    return qs.exclude(Q(visibility=Visibility.UNLISTED) & ~Q(contributor=user))


# Rows nobody created (created_by empty) were put there by the operators — the admin, fixtures, demo data —
# as a catalogue to choose from; uploads always record who named a model or an interviewer.
OPERATOR_SEEDED = Q(created_by__isnull=True)


def _named_by_listed(user: User | AnonymousUser | None, qs: QuerySet, interview_field: str,
                     published: Q = OPERATOR_SEEDED) -> QuerySet:
    """Rows of `qs` (target models, interviewers or studies) this user may see in lists, filters, choices and
    the API: those an interview listed for them uses, those they created, the `published` ones, and, for
    curators, all. So a name first given by a private or draft upload stays unknown to everyone else until
    a public interview uses it."""
    if _is_user(user) and user.is_curator:
        return qs
    used = listed_interviews(user).order_by().exclude(**{f"{interview_field}__isnull": True})
    scope = Q(pk__in=used.values(interview_field)) | published
    if _is_user(user):
        scope |= Q(created_by=user)
    return qs.filter(scope)


def visible_models(user: User | AnonymousUser | None) -> QuerySet[TargetModel]:
    return _named_by_listed(user, TargetModel.objects.all(), "target_model")


def visible_interviewers(user: User | AnonymousUser | None) -> QuerySet[Interviewer]:
    return _named_by_listed(user, Interviewer.objects.all(), "interviewer")


def visible_studies(user: User | AnonymousUser | None) -> QuerySet[Study]:
    """Studies have no visibility field. No upload creates one: a curator's study is a call for contributions
    and public at once; anyone else's (upcoming work) shows once a listed interview belongs to it."""
    return _named_by_listed(user, Study.objects.all(), "study",
                            published=OPERATOR_SEEDED | Q(created_by__is_curator=True))


def get_viewable_interview(user: User | AnonymousUser | None, pk: int) -> Interview:
    """The interview, or 404 for anyone outside its scope (never 403: existence is not revealed)."""
    interview = viewable_interviews(user).filter(pk=pk).first()
    if interview is None:
        if curators.withheld(user) and Interview.objects.filter(pk=pk).exists():
            raise curators.SecondFactorNeeded()  # a curator would see it: ask for the code, not a 404
        raise Http404("No such interview.")
    return interview


def may_manage_interview(user: User | AnonymousUser | None, interview: Interview) -> bool:
    """Whether this user may change the interview (submit a draft, withdraw): its contributor or a curator."""
    return _is_user(user) and (interview.contributor_id == user.pk or user.is_curator)


def get_manageable_interview(user: User | AnonymousUser | None, pk: int | str, *, action: str = "change") -> Interview:
    """The interview, for a change by its contributor or a curator. 404 for anyone who cannot see it (as
    `get_viewable_interview`); PermissionDenied (403) for a viewer who can see it but may not `action` it."""
    interview_id = parse_id(pk)
    if interview_id is None:
        raise Http404("No such interview.")
    interview = get_viewable_interview(user, interview_id)
    if not may_manage_interview(user, interview):
        if curators.withheld(user):
            raise curators.SecondFactorNeeded()  # a curator may, once past the second factor
        raise PermissionDenied(f"Only the contributor or a curator can {action} this interview.")
    return interview


# A listing shows none of these, and the verbatim upload can be megabytes a row: 25 rows of it were read
# and thrown away on every page of /interviews/ and /api/v1/interviews/.
NOT_LISTED_COLUMNS = ("original", "source_scores", "metadata")


def for_listing(qs: QuerySet[Interview]) -> QuerySet[Interview]:
    """The columns a list of interviews shows (pages, the API list, the home page's recent ones)."""
    return qs.defer(*NOT_LISTED_COLUMNS)


def filter_interviews(qs: QuerySet[Interview], params: dict, *, user: User | AnonymousUser | None = None
                      ) -> QuerySet[Interview]:
    """Apply the listing filters shared by the HTML list and the API; a bad value raises BadParameter.
    `q` searches titles, model names and turn text — a redacted turn's text only for those who may read it
    (commons.redaction; without `user`, as for the public)."""
    if params.get("target_model"):
        qs = qs.filter(target_model_id=require_id(params["target_model"], "target_model"))
    if params.get("interviewer"):
        qs = qs.filter(interviewer_id=require_id(params["interviewer"], "interviewer"))
    if params.get("study"):
        # the API names studies by slug, the HTML list by id: accept either
        study_id = parse_id(params["study"])
        qs = qs.filter(study_id=study_id) if study_id else qs.filter(study__slug=params["study"])
    if params.get("status"):
        qs = qs.filter(status=params["status"])
    if params.get("source_format"):
        qs = qs.filter(source_format=params["source_format"])
    if params.get("topic"):
        qs = filter_topic(qs, params["topic"])
    if params.get("q"):
        qs = qs.filter(Q(title__icontains=params["q"]) | Q(target_model__name__icontains=params["q"])
                       | Q(pk__in=_text_matches(params["q"], user)))
    for key, value in params.items():
        if key.startswith("condition.") and value:
            qs = filter_condition(qs, key.removeprefix("condition."), [value])
    return qs


def _text_matches(q: str, user: User | AnonymousUser | None) -> QuerySet:
    """Interviews (pks) with a turn whose text contains `q`, leaving out redacted turns this user may not read."""
    turns = Turn.objects.filter(text__icontains=q)
    turns = turns.filter(~redaction.redacted_turn_q() | Q(interview__in=Interview.objects.filter(
        redaction.readable_interviews_q(user)).values("pk")))
    return turns.values("interview_id")


def filter_topic(qs: QuerySet[Interview], topic: str) -> QuerySet[Interview]:
    """Interviews tagged with `topic`. SQLite has no JSON containment; matching the quoted item in the
    JSON text is equivalent there."""
    if connection.vendor == "postgresql":
        return qs.filter(topics__contains=[topic])
    return qs.filter(topics__icontains=json.dumps(topic))


def filter_condition(qs: QuerySet, factor: str, levels: list[str], *, json_field: str = "conditions") -> QuerySet:
    """Rows whose condition `factor` is one of `levels`. A key transform, not a `conditions__<factor>`
    lookup, because the factor name is user text: "isnull" or "a__b" must name a key, not a lookup."""
    name = f"condition_{len(qs.query.annotations)}"
    qs = qs.alias(**{name: Cast(KeyTextTransform(factor, json_field), TextField())})
    return qs.filter(**{f"{name}__in": list(levels)})


def active_tokens(user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user)


def get_own_import(user: User, pk: int) -> ImportJob:
    job = ImportJob.objects.filter(pk=pk, owner=user).defer("upload").first()
    if job is None:
        raise Http404("No such import.")
    return job


# --- the audit trail ------------------------------------------------------------------------------------


AUDIT_FILTERS = ("actor", "verb", "target_type", "target_id", "from", "to")


def _parse_day(raw: str, field: str) -> date:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise BadParameter(f"“{raw[:40]}” is not a date; {field} takes YYYY-MM-DD.", field) from None


def audit_events(params: dict) -> QuerySet[AuditEvent]:
    """The append-only audit log for curators, newest first, filtered by who (`actor`: an e-mail, a part of
    one, or a display name), what (`verb`, exactly or by its prefix up to a dot, e.g. `interview.`), on what
    (`target_type`, `target_id`) and when (`from` / `to`, whole days, inclusive). A bad value is a BadParameter."""
    qs = AuditEvent.objects.select_related("actor").order_by("-created_at", "-id")
    if actor := (params.get("actor") or "").strip():
        qs = qs.filter(Q(actor__email__icontains=actor) | Q(actor__display_name__icontains=actor))
    if verb := (params.get("verb") or "").strip():
        qs = qs.filter(verb__startswith=verb) if verb.endswith(".") else qs.filter(verb=verb)
    if target_type := (params.get("target_type") or "").strip():
        qs = qs.filter(target_type__iexact=target_type)
    if target_id := (params.get("target_id") or "").strip():
        qs = qs.filter(target_id=target_id)
    if raw := (params.get("from") or "").strip():
        qs = qs.filter(created_at__date__gte=_parse_day(raw, "from"))
    if raw := (params.get("to") or "").strip():
        qs = qs.filter(created_at__date__lte=_parse_day(raw, "to"))
    return qs


def audit_verbs() -> list[str]:
    return list(AuditEvent.objects.order_by().values_list("verb", flat=True).distinct().order_by("verb"))
