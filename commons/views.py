"""HTML pages. Thin: parse input with a form, call a service or selector, render."""

from __future__ import annotations

import base64
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from commons import redaction, selectors, services
from commons.curators import acts_as_curator, second_factor_redirect
from commons.forms import ApiTokenForm, BulkImportForm, InterviewSubmitForm, PublicNameForm, RedactForm, WithdrawForm
from commons.http import AuthenticatedHttpRequest
from commons.models import ApiToken, Interview, Interviewer, Redaction, Study, TargetModel, User
from commons.params import MAX_ID, BadParameter, parse_id
from commons.ratelimits import ImportThrottle, UploadThrottle, rate_limited
from commons.transcripts import FORMATS, ParsedInterview
from commons.transcripts.types import ROOT


def home(request: HttpRequest) -> HttpResponse:
    listed = selectors.listed_interviews(request.user)
    context = {
        "interview_count": listed.count(),
        "model_count": listed.values("target_model").distinct().count(),
        "interviewer_count": listed.values("interviewer").distinct().count(),
        "recent": selectors.for_listing(listed)[:8],
    }
    return render(request, "home.html", context)


def interview_list(request: HttpRequest) -> HttpResponse:
    error, status = None, 200
    try:
        qs = selectors.for_listing(selectors.filter_interviews(selectors.listed_interviews(request.user), request.GET,
                                                               user=request.user))
    except BadParameter as err:
        error, status, qs = err, 400, Interview.objects.none()
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "query": query.urlencode(),
        "models": selectors.visible_models(request.user),
        "interviewers": selectors.visible_interviewers(request.user),
        "studies": selectors.visible_studies(request.user),
        "filters": request.GET,
        "error": error,
    }
    return render(request, "interviews/list.html", context, status=status)


def interview_detail(request: HttpRequest, pk: int) -> HttpResponse:
    interview = selectors.get_viewable_interview(request.user, pk)
    mask = redaction.mask_for(request.user, interview)
    turns = [
        mask.turn({"index": t.index, "role": t.role, "participant": t.participant, "blocks": t.blocks,
                   "parent_index": t.parent.index if t.parent is not None else None, "starts_over": t.starts_over})
        for t in interview.turns.select_related("parent")
    ]
    return render(request, "interviews/detail.html", {
        "interview": interview, "turns": turns, "can_manage": selectors.may_manage_interview(request.user, interview),
        "redactions": mask.redactions,
        "can_unredact": bool(mask.redactions) and _is_curator(request.user)})


def _is_curator(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_curator)


def interview_turn_text(request: HttpRequest, pk: int, index: int) -> HttpResponse:
    """One turn's full text as plain text: the interview page shows a long block's first
    TURN_PREVIEW_CHARS and links here. The same visibility rule as the page (404 for outsiders)."""
    interview = selectors.get_viewable_interview(request.user, pk)
    turn = interview.turns.filter(index=index).first() if index <= MAX_ID else None
    if turn is None:
        raise Http404("No such turn.")
    blocks = redaction.mask_for(request.user, interview).blocks(turn.index, turn.blocks)
    text = "\n\n".join(str(block.get("text", "")) for block in blocks if isinstance(block, dict) and "text" in block)
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="interview-{interview.pk}-turn-{turn.index}.txt"'
    return response


@login_required
def my_interviews(request: AuthenticatedHttpRequest) -> HttpResponse:
    qs = Interview.objects.filter(contributor=request.user).select_related("target_model", "interviewer")
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    return render(request, "interviews/mine.html", {"page": page, "jobs": request.user.import_jobs.defer("upload")[:10]})


@login_required
@rate_limited(UploadThrottle, "transcript uploads")  # each POST: preview or save
def interview_submit(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Step 1 parses and previews (nothing saved); step 2 saves as draft or submits."""
    preview = None
    if request.method != "POST":
        form = InterviewSubmitForm(user=request.user)
        return render(request, "interviews/submit.html", {"form": form, "formats": FORMATS})
    form = InterviewSubmitForm(request.POST, request.FILES, user=request.user)
    action = request.POST.get("action", "preview")
    if form.is_valid():
        raw = form.get_transcript_bytes()
        filename = form.get_transcript_filename()
        try:
            preview = services.check_transcript(data=raw, filename=filename, fmt=form.cleaned_data.get("format"))
        except services.ServiceError as err:
            form.add_error("transcript_text", err.message)
        if preview is not None and action in {"draft", "submit"}:
            try:
                interview = _save_submission(request, form, preview, submit=action == "submit")
            except services.MissingTargetModel:
                form.add_error("target_model", "Choose the target model or describe a new one.")
            except services.DuplicateInterview:
                form.add_error("transcript_text", "This transcript is already in the commons.")
            except services.ServiceError as err:
                form.add_error(err.field if err.field in form.fields else None, err.message)
            else:
                verb = "submitted" if action == "submit" else "saved as a draft"
                messages.success(request, f"Interview {verb}.")
                return redirect(interview)
        if preview is not None and request.FILES.get("transcript_file"):
            # Carry the upload over to the next step so the user need not choose the file again.
            form = _carry_upload(request, raw, filename)
    status = 400 if form.errors else 200
    preview_turns = [
        {"index": i, "role": t.role, "participant": t.participant, "blocks": t.blocks,
         "parent_index": t.parent if t.parent is not None and t.parent >= 0 else None, "starts_over": t.parent == ROOT}
        for i, t in enumerate(preview.turns)
    ] if preview is not None else None
    return render(request, "interviews/submit.html",
                  {"form": form, "preview": preview, "turns": preview_turns, "formats": FORMATS}, status=status)


def _carry_upload(request: HttpRequest, raw: bytes, filename: str) -> InterviewSubmitForm:
    data = request.POST.copy()
    try:
        data["transcript_text"] = raw.decode("utf-8")
        data["transcript_b64"] = ""
    except UnicodeDecodeError:
        data["transcript_b64"] = base64.b64encode(raw).decode("ascii")
    data["transcript_filename"] = filename
    form = InterviewSubmitForm(data, user=request.user)
    form.is_valid()
    return form


def _save_submission(request: AuthenticatedHttpRequest, form: InterviewSubmitForm, parsed: ParsedInterview, *,
                     submit: bool) -> Interview:
    data = form.cleaned_data
    return services.submit_transcript(
        contributor=request.user, parsed=parsed, filename=form.get_transcript_filename(),
        target_model=data.get("target_model"), new_model=_new_model(data),
        interviewer=data.get("interviewer"), new_interviewer=_new_interviewer(data),
        study=data.get("study"), conditions=data["conditions"] or None, topics=form.all_topics() or None,
        conducted_on=data.get("conducted_on"), licence=data["licence"], visibility=data["visibility"],
        title=data.get("title", ""), submit=submit,
    )


def _new_model(data: dict) -> services.NewTargetModel | None:
    if not data.get("new_model_name"):
        return None
    return services.NewTargetModel(
        name=data["new_model_name"], provider=data["new_model_provider"], api_id=data["new_model_api_id"],
        family=data["new_model_family"], release_date=data["new_model_release_date"],
        retired=data["new_model_retired"])


def _new_interviewer(data: dict) -> services.NewInterviewer | None:
    if not data.get("new_interviewer_name"):
        return None
    return services.NewInterviewer(name=data["new_interviewer_name"], kind=data.get("new_interviewer_kind", ""),
                                   stance=data.get("new_interviewer_stance", ""))


@login_required
@require_POST
def interview_submit_draft(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    interview = selectors.get_manageable_interview(request.user, pk, action="submit")
    try:
        services.submit_interview(interview=interview, actor=request.user)
    except services.ServiceError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, "Interview submitted.")
    return redirect(interview)


@login_required
def interview_withdraw(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    interview = selectors.get_manageable_interview(request.user, pk, action="withdraw")
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.withdraw_interview(interview=interview, actor=request.user, reason=form.cleaned_data["reason"])
        except services.ServiceError as err:
            form.add_error(None, err.message)
        else:
            messages.success(request, "Interview withdrawn. It stays in the audit trail, hidden from the public.")
            return redirect(interview)
    return render(request, "interviews/withdraw.html", {"interview": interview, "form": form},
                  status=400 if form.errors else 200)


@login_required
def interview_redact(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Redact a turn (or it and every earlier one): the contributor, or a curator past the second factor (one
    without it is sent for the code by get_manageable_interview, commons/curators.py: SecondFactorNeeded)."""
    interview = selectors.get_manageable_interview(request.user, pk, action="redact")
    asked = request.GET.get("turn", "")
    initial = {"turn_index": int(asked)} if asked.isascii() and asked.isdigit() and len(asked) < 10 else {}
    form = RedactForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.redact_turn(interview=interview, actor=request.user, as_curator=acts_as_curator(request),
                                 **form.cleaned_data)
        except services.ServiceError as err:
            form.add_error(err.field if err.field in form.fields else None, err.message)
        else:
            messages.success(request, "Redacted. The public now sees the placeholder with your reason.")
            return redirect(f"{interview.get_absolute_url()}#turn-{form.cleaned_data['turn_index']}")
    turns = list(interview.turns.values_list("index", "role"))
    return render(request, "interviews/redact.html", {"interview": interview, "form": form, "turns": turns},
                  status=400 if form.errors else 200)


@login_required
@require_POST
def interview_unredact(request: AuthenticatedHttpRequest, pk: int, redaction_id: int) -> HttpResponse:
    """Lift a redaction: curators only (with the second factor), recorded in the audit trail."""
    interview = selectors.get_viewable_interview(request.user, pk)
    if sent_on := second_factor_redirect(request):
        return sent_on
    if not request.user.is_curator:
        return HttpResponseForbidden("Only a curator can lift a redaction.")
    found = Redaction.objects.filter(pk=redaction_id, interview=interview).first() if redaction_id <= MAX_ID else None
    if found is None:
        raise Http404("No such redaction.")
    services.lift_redaction(redaction=found, actor=request.user, as_curator=acts_as_curator(request))
    messages.success(request, f"Redaction of turn #{found.turn_index} lifted; the text is public again.")
    return redirect(interview)


@login_required
@rate_limited(ImportThrottle, "bulk imports")
def import_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = BulkImportForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        defaults = services.ImportDefaults(
            licence=data["licence"], visibility=data["visibility"],
            study_id=data["study"].pk if data["study"] else None,
            target_model_id=data["target_model"].pk if data["target_model"] else None,
            interviewer_id=data["interviewer"].pk if data["interviewer"] else None,
            submit=not data["as_drafts"])
        try:
            job = services.start_import(owner=request.user, filename=data["file"].name, data=data["file"].read(),
                                        defaults=defaults)
        except services.ServiceError as err:
            form.add_error("file", err.message)
        else:
            return redirect("import_detail", pk=job.pk)
    return render(request, "imports/new.html", {"form": form, "formats": FORMATS},
                  status=400 if form.errors else 200)


@login_required
def import_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    job = selectors.get_own_import(request.user, pk)
    template = "imports/_progress.html" if request.headers.get("HX-Request") else "imports/detail.html"
    return render(request, template, {"job": job})


@login_required
def account(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        _, new_key = services.create_api_token(user=request.user, name=form.cleaned_data["name"],
                                               scope=form.cleaned_data["scope"])
        form = ApiTokenForm()
    tokens = selectors.active_tokens(request.user)
    return render(request, "account/profile.html", {"form": form, "tokens": tokens, "new_key": new_key,
                                                    "name_form": _public_name_form(request.user)})


def _public_name_form(user: User, data: Any = None) -> PublicNameForm:
    return PublicNameForm(data, initial={"display_name": user.display_name, "use_pseudonym": user.use_pseudonym})


@login_required
@require_POST
def account_name(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Set how the user appears in public: a display name, or their pseudonym (commons.names)."""
    name_form = _public_name_form(request.user, request.POST)
    if name_form.is_valid():
        try:
            services.set_public_name(user=request.user, **name_form.cleaned_data)
        except services.ServiceError as err:
            name_form.add_error(err.field if err.field in name_form.fields else None, err.message)
        else:
            messages.success(request, f"Saved. You now appear as “{request.user}”.")
            return redirect("account")
    return render(request, "account/profile.html", {"form": ApiTokenForm(), "name_form": name_form, "new_key": None,
                                                    "tokens": selectors.active_tokens(request.user)}, status=400)


@login_required
@require_POST
def token_revoke(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    services.revoke_api_token(token=token, actor=request.user)
    messages.success(request, f"Token “{token.name}” revoked.")
    return redirect("account")


@login_required
def curation_users(request: AuthenticatedHttpRequest) -> HttpResponse:
    if sent_on := second_factor_redirect(request):
        return sent_on
    if not request.user.is_curator:
        return HttpResponseForbidden("Curators only.")
    if request.method == "POST":
        target = get_object_or_404(User, pk=parse_id(request.POST.get("user", "")) or 0)
        try:
            services.set_role(user=target, role=request.POST.get("role", ""),
                              granted=request.POST.get("grant") == "1", actor=request.user)
        except services.ServiceError as err:
            messages.error(request, err.message)
        else:
            messages.success(request, f"Roles of {target.email} updated.")
        return redirect(f"{request.path}?{request.GET.urlencode()}")
    users = User.objects.annotate(n_interviews=Count("interviews")).order_by("email")
    if request.GET.get("q"):
        users = users.filter(Q(email__icontains=request.GET["q"]) | Q(display_name__icontains=request.GET["q"]))
    page = Paginator(users, 50).get_page(request.GET.get("page"))
    return render(request, "curation/users.html", {"page": page})


def formats_help(request: HttpRequest) -> HttpResponse:
    return render(request, "interviews/formats.html", {"formats": FORMATS})
