"""HTML pages. Thin: parse input with a form, call a service or selector, render."""

from __future__ import annotations

import base64

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from commons import selectors, services
from commons.forms import ApiTokenForm, BulkImportForm, InterviewSubmitForm, WithdrawForm
from commons.models import ApiToken, Interview, Interviewer, Study, TargetModel, User
from commons.params import MAX_ID, BadParameter, parse_id
from commons.transcripts import FORMATS
from commons.transcripts.types import ROOT, InterviewerInfo


def home(request: HttpRequest) -> HttpResponse:
    listed = selectors.listed_interviews(request.user)
    context = {
        "interview_count": listed.count(),
        "model_count": listed.values("target_model").distinct().count(),
        "interviewer_count": listed.values("interviewer").distinct().count(),
        "recent": listed[:8],
    }
    return render(request, "home.html", context)


def interview_list(request: HttpRequest) -> HttpResponse:
    error, status = None, 200
    try:
        qs = selectors.filter_interviews(selectors.listed_interviews(request.user), request.GET)
    except BadParameter as err:
        error, status, qs = err, 400, Interview.objects.none()
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "query": query.urlencode(),
        "models": TargetModel.objects.all(),
        "interviewers": Interviewer.objects.all(),
        "studies": Study.objects.all(),
        "filters": request.GET,
        "error": error,
    }
    return render(request, "interviews/list.html", context, status=status)


def interview_detail(request: HttpRequest, pk: int) -> HttpResponse:
    interview = selectors.get_viewable_interview(request.user, pk)
    turns = [
        {"index": t.index, "role": t.role, "participant": t.participant, "blocks": t.blocks,
         "parent_index": t.parent.index if t.parent_id else None, "starts_over": t.starts_over}
        for t in interview.turns.select_related("parent")
    ]
    can_manage = request.user.is_authenticated and (
        interview.contributor_id == request.user.pk or request.user.is_curator)
    return render(request, "interviews/detail.html", {
        "interview": interview, "turns": turns, "can_manage": can_manage})


def interview_turn_text(request: HttpRequest, pk: int, index: int) -> HttpResponse:
    """One turn's full text as plain text: the interview page shows a long block's first
    TURN_PREVIEW_CHARS and links here. The same visibility rule as the page (404 for outsiders)."""
    interview = selectors.get_viewable_interview(request.user, pk)
    turn = interview.turns.filter(index=index).first() if index <= MAX_ID else None
    if turn is None:
        raise Http404("No such turn.")
    text = "\n\n".join(str(block.get("text", "")) for block in turn.blocks if isinstance(block, dict) and "text" in block)
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="interview-{interview.pk}-turn-{turn.index}.txt"'
    return response


@login_required
def my_interviews(request: HttpRequest) -> HttpResponse:
    qs = Interview.objects.filter(contributor=request.user).select_related("target_model", "interviewer")
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    return render(request, "interviews/mine.html", {"page": page, "jobs": request.user.import_jobs.defer("upload")[:10]})


def _resolve_model(form: InterviewSubmitForm, parsed, user: User) -> TargetModel | None:
    data = form.cleaned_data
    if data.get("target_model"):
        return data["target_model"]
    if data.get("new_model_name"):
        return services.create_target_model(
            created_by=user, name=data["new_model_name"].strip(), provider=data["new_model_provider"],
            api_id=data["new_model_api_id"], family=data["new_model_family"],
            release_date=data["new_model_release_date"], retired=data["new_model_retired"])
    if parsed.target_model:
        return services.get_or_create_target_model(info=parsed.target_model, created_by=user)
    return None


def _resolve_interviewer(form: InterviewSubmitForm, parsed, user: User) -> Interviewer | None:
    data = form.cleaned_data
    if data.get("interviewer"):
        return data["interviewer"]
    if data.get("new_interviewer_name"):
        return services.get_or_create_interviewer(
            info=InterviewerInfo(name=data["new_interviewer_name"].strip(),
                                 kind=data.get("new_interviewer_kind") or "model",
                                 stance=data.get("new_interviewer_stance", "").strip()),
            created_by=user)
    if parsed.interviewer:
        return services.get_or_create_interviewer(info=parsed.interviewer, created_by=user)
    return None


@login_required
def interview_submit(request: HttpRequest) -> HttpResponse:
    """Step 1 parses and previews (nothing saved); step 2 saves as draft or submits."""
    preview = None
    if request.method != "POST":
        form = InterviewSubmitForm()
        return render(request, "interviews/submit.html", {"form": form, "formats": FORMATS})
    form = InterviewSubmitForm(request.POST, request.FILES)
    action = request.POST.get("action", "preview")
    if form.is_valid():
        raw = form.get_transcript_bytes()
        filename = form.get_transcript_filename()
        try:
            preview = services.check_transcript(data=raw, filename=filename, fmt=form.cleaned_data.get("format"))
        except services.ServiceError as err:
            form.add_error("transcript_text", err.message)
        if preview is not None and action in {"draft", "submit"}:
            model_missing = not (form.cleaned_data.get("target_model") or form.cleaned_data.get("new_model_name")
                                 or preview.target_model)
            if model_missing:
                form.add_error("target_model", "Choose the target model or describe a new one.")
            else:
                try:
                    interview = _save_submission(request, form, preview, submit=action == "submit")
                except services.DuplicateInterview:
                    form.add_error("transcript_text", "This transcript is already in the commons.")
                except services.ServiceError as err:
                    field = err.field if err.field in form.fields else None
                    form.add_error(field, err.message)
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
    form = InterviewSubmitForm(data)
    form.is_valid()
    return form


def _save_submission(request: HttpRequest, form: InterviewSubmitForm, parsed, *, submit: bool) -> Interview:
    from django.db import transaction

    data = form.cleaned_data
    with transaction.atomic():
        target = _resolve_model(form, parsed, request.user)
        interviewer = _resolve_interviewer(form, parsed, request.user)
        return services.create_interview(
            contributor=request.user, parsed=parsed, target_model=target, interviewer=interviewer,
            study=data.get("study"), conditions=data["conditions"] or parsed.conditions,
            topics=form.all_topics() or parsed.topics, conducted_on=data.get("conducted_on"),
            licence=data["licence"], visibility=data["visibility"], submit=submit, title=data.get("title", ""),
            source_filename=form.get_transcript_filename(),
        )


@login_required
@require_POST
def interview_submit_draft(request: HttpRequest, pk: int) -> HttpResponse:
    interview = selectors.get_own_interview(request.user, pk)
    try:
        services.submit_interview(interview=interview, actor=request.user)
    except services.ServiceError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, "Interview submitted.")
    return redirect(interview)


@login_required
def interview_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    interview = selectors.get_viewable_interview(request.user, pk)
    if interview.contributor_id != request.user.pk and not request.user.is_curator:
        return HttpResponseForbidden("Only the contributor or a curator can withdraw this interview.")
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
def import_new(request: HttpRequest) -> HttpResponse:
    form = BulkImportForm(request.POST or None, request.FILES or None)
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
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = selectors.get_own_import(request.user, pk)
    template = "imports/_progress.html" if request.headers.get("HX-Request") else "imports/detail.html"
    return render(request, template, {"job": job})


@login_required
def account(request: HttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        _, new_key = services.create_api_token(user=request.user, name=form.cleaned_data["name"])
        form = ApiTokenForm()
    tokens = selectors.active_tokens(request.user)
    return render(request, "account/profile.html", {"form": form, "tokens": tokens, "new_key": new_key})


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    services.revoke_api_token(token=token, actor=request.user)
    messages.success(request, f"Token “{token.name}” revoked.")
    return redirect("account")


@login_required
def curation_users(request: HttpRequest) -> HttpResponse:
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
