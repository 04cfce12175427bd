"""One upload service: the HTML form, the API and the bulk importer all store a transcript through it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction

from commons.models import ImportJob, Interview, Interviewer, Study, TargetModel, User
from commons.services.errors import MissingTargetModel, ServiceError
from commons.services.interviews import (
    PreparedInterview,
    check_transcript,
    create_interview,
    create_target_model,
    get_or_create_interviewer,
    get_or_create_target_model,
    prepare_interview,
    validate_conditions,
)
from commons.transcripts import ParsedInterview
from commons.transcripts.types import InterviewerInfo


@dataclass(frozen=True)
class NewTargetModel:
    """A target model the uploader describes; creating it refuses a name that is taken."""

    name: str
    provider: str = ""
    api_id: str = ""
    family: str = ""
    release_date: date | None = None
    retired: bool = False


@dataclass(frozen=True)
class NewInterviewer:
    """An interviewer the uploader describes; one with the same name, kind and stance is reused."""

    name: str
    kind: str = Interviewer.Kind.MODEL
    stance: str = ""


def _resolve_target_model(*, chosen: TargetModel | None, new: NewTargetModel | None, parsed: ParsedInterview,
                          contributor: User) -> TargetModel:
    if chosen is not None:
        return chosen
    if new is not None:
        return create_target_model(created_by=contributor, name=new.name.strip(), provider=new.provider,
                                   api_id=new.api_id, family=new.family, release_date=new.release_date,
                                   retired=new.retired)
    if parsed.target_model:
        return get_or_create_target_model(info=parsed.target_model, created_by=contributor)
    raise MissingTargetModel()


def _resolve_interviewer(*, chosen: Interviewer | None, new: NewInterviewer | None, parsed: ParsedInterview,
                         contributor: User) -> Interviewer | None:
    if chosen is not None:
        return chosen
    if new is not None:
        info = InterviewerInfo(name=new.name.strip(), kind=new.kind or Interviewer.Kind.MODEL, stance=new.stance.strip())
        return get_or_create_interviewer(info=info, created_by=contributor)
    if parsed.interviewer:
        return get_or_create_interviewer(info=parsed.interviewer, created_by=contributor)
    return None


@transaction.atomic
def submit_transcript(
    *,
    contributor: User,
    raw: bytes | None = None,
    parsed: ParsedInterview | None = None,
    filename: str = "",
    fmt: str | None = None,
    target_model: TargetModel | None = None,
    new_model: NewTargetModel | None = None,
    interviewer: Interviewer | None = None,
    new_interviewer: NewInterviewer | None = None,
    study: Study | None = None,
    conditions: dict | None = None,
    topics: list[str] | None = None,
    conducted_on: date | None = None,
    licence: str = Interview._meta.get_field("licence").default,
    visibility: str = Interview.Visibility.PUBLIC,
    title: str = "",
    submit: bool = True,
    import_job: ImportJob | None = None,
) -> Interview:
    """Store one uploaded transcript: `raw` bytes, or `parsed` when the caller has checked them already.

    The target model is `target_model`, else `new_model` (created), else the one the transcript names
    (matched or created), else MissingTargetModel; the interviewer likewise, else none. Conditions and
    topics left as None come from the transcript. One transaction: an upload that is rejected (unreadable,
    no model, bad conditions, a duplicate) leaves no new target model or interviewer behind.
    """
    if parsed is None:
        parsed = check_transcript(data=raw or b"", filename=filename, fmt=fmt)
    model = _resolve_target_model(chosen=target_model, new=new_model, parsed=parsed, contributor=contributor)
    person = _resolve_interviewer(chosen=interviewer, new=new_interviewer, parsed=parsed, contributor=contributor)
    return create_interview(
        contributor=contributor, parsed=parsed, target_model=model, interviewer=person, study=study,
        conditions=conditions, topics=topics, conducted_on=conducted_on, licence=licence, visibility=visibility,
        submit=submit, title=title, source_filename=filename, import_job=import_job,
    )


def prepare_transcript(*, contributor: User, parsed: ParsedInterview, filename: str, import_job: ImportJob | None,
                       target_model: TargetModel | None, interviewer: Interviewer | None, study: Study | None,
                       licence: str, visibility: str, submit: bool) -> PreparedInterview:
    """What submit_transcript stores for a bulk-import item, checked and built but not written, so a batch
    of items can be written together. The conditions are checked before the target model and interviewer
    are resolved: once one is created for the item nothing else can reject it, so a rejected item never
    leaves a new name behind. Raises MissingTargetModel or ServiceError."""
    if not parsed.turns:
        raise ServiceError("The transcript has no turns.", "transcript")
    validate_conditions(study=study, conditions=parsed.conditions)
    model = _resolve_target_model(chosen=target_model, new=None, parsed=parsed, contributor=contributor)
    person = _resolve_interviewer(chosen=interviewer, new=None, parsed=parsed, contributor=contributor)
    return prepare_interview(contributor=contributor, parsed=parsed, target_model=model, interviewer=person,
                             study=study, licence=licence, visibility=visibility, submit=submit,
                             source_filename=filename, import_job=import_job)
