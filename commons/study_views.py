"""A study's settings page: for its owner and curators (404 to anyone else: a study's settings are not public)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from commons import services
from commons.http import AuthenticatedHttpRequest
from commons.models import Interview, Study


class JudgeScoresForm(forms.Form):
    judge_scores_public = forms.BooleanField(
        required=False, label="Model-judge scores of this study are published data",
        help_text="On: the judges' scores of this study's interviews are shown before human review ends — on the "
                  "reviews pages, in the pattern explorer and in dataset releases — and reviewers are told so. "
                  "Off: they stay blind, like human reviews, until each interview is fully reviewed.")


@login_required
def study_settings(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    study = get_object_or_404(Study, slug=slug)
    if not services.may_manage_study(request.user, study):
        raise Http404("No such study.")
    form = JudgeScoresForm(request.POST or None, initial={"judge_scores_public": study.judge_scores_public})
    if request.method == "POST" and form.is_valid():
        public = form.cleaned_data["judge_scores_public"]
        services.set_judge_scores_public(study=study, public=public, actor=request.user)
        messages.success(request, "Judge scores of this study are now public before human review." if public
                         else "Judge scores of this study are now blind until each interview is reviewed.")
        return redirect("study_settings", slug=study.slug)
    counts = study.interviews.aggregate(
        total=Count("id"), in_review=Count("id", filter=Q(status__in=[Interview.Status.SUBMITTED,
                                                                       Interview.Status.IN_REVIEW])))
    return render(request, "studies/settings.html", {"study": study, "form": form, "counts": counts})
