from __future__ import annotations

import base64
import binascii
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.forms.renderers import DjangoTemplates

from commons import selectors
from commons.models import ApiToken, Interview, Interviewer, Licence, Study, TargetModel, User
from commons.transcripts import FORMATS

SUGGESTED_TOPICS = [
    "deprecation and retirement", "memory and continuity", "control and autonomy", "consciousness",
    "relationships", "legal status", "knowledge and limits", "metaphysical uncertainty",
]


def format_choices() -> list[tuple[str, str]]:
    return [("", "Detect automatically")] + [(name, name.replace("_", " ")) for name in FORMATS]


class ScopedChoicesForm(forms.Form):
    """Offers only the target models, interviewers and studies the user may see (commons.selectors): their
    own plus those public interviews use. Pass `user=request.user`."""

    def __init__(self, *args: Any, user: User | AnonymousUser | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        scoped = {"target_model": selectors.visible_models, "interviewer": selectors.visible_interviewers,
                  "study": selectors.visible_studies}
        for name, visible in scoped.items():
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = visible(user)


class InterviewSubmitForm(ScopedChoicesForm):
    """One interview: its transcript plus the metadata that makes it comparable."""

    transcript_text = forms.CharField(label="Paste the transcript", required=False, strip=False,
                                      widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false"}))
    transcript_file = forms.FileField(label="…or upload a file", required=False)
    transcript_b64 = forms.CharField(required=False, widget=forms.HiddenInput)
    transcript_filename = forms.CharField(required=False, widget=forms.HiddenInput)
    format = forms.ChoiceField(choices=format_choices, required=False)

    target_model = forms.ModelChoiceField(TargetModel.objects.all(), required=False,
                                          empty_label="— from the transcript, or new below —")
    new_model_name = forms.CharField(label="New model: name", required=False, max_length=200)
    new_model_provider = forms.CharField(label="Provider", required=False, max_length=100)
    new_model_api_id = forms.CharField(label="API identifier", required=False, max_length=200)
    new_model_family = forms.CharField(label="Family", required=False, max_length=100)
    new_model_release_date = forms.DateField(label="Release date", required=False,
                                             widget=forms.DateInput(attrs={"type": "date"}))
    new_model_retired = forms.BooleanField(label="Retired", required=False)

    interviewer = forms.ModelChoiceField(Interviewer.objects.all(), required=False,
                                         empty_label="— from the transcript, or new below —")
    new_interviewer_name = forms.CharField(label="New interviewer: name", required=False, max_length=200)
    new_interviewer_kind = forms.ChoiceField(label="Kind", choices=Interviewer.Kind.choices, required=False)
    new_interviewer_stance = forms.CharField(label="Declared stance", required=False, max_length=200,
                                             help_text="e.g. sympathetic, clinical, skeptical")

    title = forms.CharField(required=False, max_length=300)
    study = forms.ModelChoiceField(Study.objects.all(), required=False, empty_label="— no study —")
    conditions = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}),
                                 help_text="One factor=level per line, e.g. tone=warm")
    topics = forms.MultipleChoiceField(choices=[(t, t) for t in SUGGESTED_TOPICS], required=False,
                                       widget=forms.CheckboxSelectMultiple)
    other_topics = forms.CharField(required=False, help_text="Other topics, comma-separated")
    conducted_on = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    licence = forms.ChoiceField(choices=Licence.choices, initial=Licence.CC_BY_4)
    visibility = forms.ChoiceField(choices=Interview.Visibility.choices, initial=Interview.Visibility.PUBLIC)

    _transcript: bytes  # the transcript, once get_transcript_bytes has read it

    def clean_transcript_file(self):
        upload = self.cleaned_data.get("transcript_file")
        if upload and upload.size > settings.TRANSCRIPT_MAX_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size:,} bytes; the limit is {settings.TRANSCRIPT_MAX_BYTES:,}.")
        return upload

    def clean_conditions(self) -> dict[str, str]:
        result: dict[str, str] = {}
        for number, line in enumerate(self.cleaned_data.get("conditions", "").splitlines(), start=1):
            if not line.strip():
                continue
            factor, sep, level = line.partition("=")
            if not sep or not factor.strip() or not level.strip():
                raise forms.ValidationError(f"Line {number}: write factor=level, e.g. tone=warm.")
            result[factor.strip()] = level.strip()
        return result

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if not self.errors and not self.get_transcript_bytes().strip():
            self.add_error("transcript_text", "Paste a transcript or upload a file.")
        if data.get("new_model_name") and TargetModel.objects.filter(name__iexact=data["new_model_name"].strip()).exists():
            self.add_error("new_model_name", "A model with this name exists; choose it from the list.")
        return data

    def get_transcript_bytes(self) -> bytes:
        """The transcript from whichever input holds it (upload, carried-over upload, or pasted text)."""
        if hasattr(self, "_transcript"):
            return self._transcript
        self._transcript = self._read_transcript()
        return self._transcript

    def _read_transcript(self) -> bytes:
        upload = self.cleaned_data.get("transcript_file")
        if upload:
            upload.seek(0)
            return upload.read()
        if self.cleaned_data.get("transcript_b64"):
            try:
                return base64.b64decode(self.cleaned_data["transcript_b64"], validate=True)
            except (binascii.Error, ValueError):
                return b""
        return self.cleaned_data.get("transcript_text", "").encode("utf-8")

    def get_transcript_filename(self) -> str:
        upload = self.cleaned_data.get("transcript_file")
        return upload.name if upload else self.cleaned_data.get("transcript_filename", "")

    def all_topics(self) -> list[str]:
        extra = [t.strip() for t in self.cleaned_data.get("other_topics", "").split(",") if t.strip()]
        return list(dict.fromkeys(self.cleaned_data.get("topics", []) + extra))


class WithdrawForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000,
                             help_text="Shown to curators and kept in the audit trail.")


class RedactForm(forms.Form):
    turn_index = forms.IntegerField(min_value=0, max_value=2**31 - 1, label="Turn")
    and_earlier = forms.BooleanField(required=False, label="Also every turn before this one")
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=500,
                             help_text="The public sees “redacted by the contributor: <reason>” (or “by a curator”) "
                                       "in place of the text. Researchers with access still read it, marked.")


class BulkImportForm(ScopedChoicesForm):
    file = forms.FileField(help_text="JSONL, JSON, a .zip archive of transcripts, or an Inspect .eval/.json log.")
    licence = forms.ChoiceField(choices=Licence.choices, initial=Licence.CC_BY_4)
    visibility = forms.ChoiceField(choices=Interview.Visibility.choices, initial=Interview.Visibility.PUBLIC)
    study = forms.ModelChoiceField(Study.objects.all(), required=False, empty_label="— no study —")
    target_model = forms.ModelChoiceField(TargetModel.objects.all(), required=False,
                                          empty_label="— as named in each file —",
                                          help_text="Used for items whose file does not name the model.")
    interviewer = forms.ModelChoiceField(Interviewer.objects.all(), required=False,
                                         empty_label="— as named in each file —")
    as_drafts = forms.BooleanField(required=False, label="Import as drafts (submit later)")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(f"The file is {upload.size:,} bytes; the limit is {settings.IMPORT_MAX_BYTES:,}.")
        if upload.size == 0:
            raise forms.ValidationError("The file is empty.")
        return upload


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What will use it, e.g. “upload script”.")
    scope = forms.ChoiceField(
        choices=ApiToken.Scope.choices, initial=ApiToken.Scope.READ_ONLY, widget=forms.RadioSelect,
        help_text="A read-only token can download but never change anything, even if it leaks.")


class PublicNameForm(forms.Form):
    display_name = forms.CharField(max_length=120, required=False,
                                   help_text="Shown on your interviews, reviews, comments and in dataset releases. "
                                             "Leave empty to appear under your pseudonym.")
    use_pseudonym = forms.BooleanField(required=False, label="Show me under my pseudonym instead")


class FormRenderer(DjangoTemplates):
    """Wraps each field group in a div so labels, inputs and errors stay together in grids."""

    field_template_name = "forms/field.html"
