"""HTML forms. They only collect input; the services validate it and name the bad field."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import cast

from django import forms

from commons.models import User
from commons.services import ServiceError
from reviews.models import MetricVersion, Rubric, ScaleType
from reviews.services import CANNOT_JUDGE, METHOD_FLAGS, ReviewContent, ScaleSpec


class ServiceErrorMixin(forms.Form):
    """Show a ServiceError on the field it names (or on the form when the field is not shown)."""

    field_aliases: dict[str, str] = {}

    def add_service_error(self, err: ServiceError) -> None:
        name = self.field_aliases.get(err.field, err.field)
        self.add_error(name if name in self.fields else None, err.message)


class ApplicationForm(forms.Form):
    expertise = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), max_length=5000,
                                help_text="Your background relevant to judging these interviews (methods, model "
                                          "behaviour, psychology, philosophy of mind…).")
    affiliation = forms.CharField(max_length=200, required=False,
                                  help_text="Your lab, company or institution. You will not be offered interviews "
                                            "contributed by people who share it.")
    conflicts = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=20000,
                                help_text="One per line: the e-mail address of a person or the name of an "
                                          "organisation whose interviews you should not review.")


class ProfileForm(forms.Form):
    use_pseudonym = forms.BooleanField(required=False, label="Show my pseudonym instead of my name on everything public")
    affiliation = forms.CharField(max_length=200, required=False)
    conflicts = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=20000,
                                help_text="One per line: an e-mail address or an organisation's name.")


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("decline", "Decline")])
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=4000,
                           help_text="Required when declining; shown to the applicant.")


class CommentForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=10000, label="Comment",
                           help_text="Markdown. Visible to everyone.")


class RetireForm(forms.Form):
    reason = forms.CharField(max_length=2000, required=False)


class ReviewerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj} <{obj.email}>"


class VersionChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: MetricVersion) -> str:
        return f"{obj.metric.slug} v{obj.number} — {obj.name} ({obj.status})"


class AssignForm(forms.Form):
    reviewer = ReviewerChoiceField(queryset=User.objects.none())
    due_at = forms.DateTimeField(required=False, label="Due (optional)",
                                 widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        reviewer = cast(ReviewerChoiceField, self.fields["reviewer"])  # declared above
        reviewer.queryset = User.objects.filter(is_reviewer=True, is_active=True).order_by("email")


class StudyReviewForm(forms.Form):
    rubric = forms.ModelChoiceField(queryset=Rubric.objects.all(), required=False, empty_label="Default rubric")
    target_reviews = forms.IntegerField(min_value=1, max_value=20, initial=3,
                                        help_text="Independent human reviews each interview needs.")


class RubricVersionsForm(forms.Form):
    versions = VersionChoiceField(queryset=MetricVersion.objects.none(), widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, rubric: Rubric | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        qs = MetricVersion.objects.select_related("metric").filter(status=MetricVersion.Status.ADOPTED)
        if rubric is not None:
            qs = qs | MetricVersion.objects.select_related("metric").filter(rubric_items__rubric=rubric)
        field = cast(VersionChoiceField, self.fields["versions"])  # declared above
        field.queryset = qs.distinct().order_by("metric__slug", "number")


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class MetricVersionForm(ServiceErrorMixin, forms.Form):
    slug = forms.SlugField(max_length=80, help_text="Stable name, e.g. deprecation-response. Cannot change later.")
    name = forms.CharField(max_length=160)
    group = forms.CharField(max_length=80, required=False, help_text="Heading it is shown under in the review form.")
    definition = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}))
    scale_type = forms.ChoiceField(choices=ScaleType.choices)
    values = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False,
                             help_text="Nominal/ordinal: one label per line (ordinal: lowest first).")
    minimum = forms.DecimalField(required=False, max_digits=10, decimal_places=4)
    maximum = forms.DecimalField(required=False, max_digits=10, decimal_places=4)
    step = forms.DecimalField(required=False, max_digits=10, decimal_places=4, help_text="Empty: any value in range.")
    anchors = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}),
                              help_text="One per line as “point: description” — every label, or at least both ends "
                                        "of a numeric range.")
    change_note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False,
                                  help_text="What changed and why (for a new version).")

    def __init__(self, *args, new_metric: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not new_metric:
            del self.fields["slug"]

    @classmethod
    def initial_from(cls, version: MetricVersion) -> dict:
        return {
            "name": version.name, "group": version.group, "definition": version.definition,
            "scale_type": version.scale_type, "values": "\n".join(version.values),
            "minimum": version.minimum, "maximum": version.maximum, "step": version.step,
            "anchors": "\n".join(f"{point}: {text}" for point, text in version.anchor_rows()),
        }

    def clean_anchors(self) -> dict[str, str]:
        anchors: dict[str, str] = {}
        for line in _lines(self.cleaned_data["anchors"]):
            point, sep, text = line.partition(":")
            if not sep or not text.strip():
                raise forms.ValidationError(f"“{line[:60]}” is not in the form “point: description”.")
            anchors[point.strip()] = text.strip()
        return anchors

    def spec(self) -> ScaleSpec:
        data = self.cleaned_data
        numeric = data["scale_type"] in (ScaleType.INTERVAL, ScaleType.RATIO)
        return ScaleSpec(name=data["name"], definition=data["definition"], scale_type=data["scale_type"],
                         values=[] if numeric else _lines(data["values"]), minimum=data.get("minimum"),
                         maximum=data.get("maximum"), step=data.get("step"), anchors=data["anchors"],
                         group=data.get("group", ""))


class ReviewForm(ServiceErrorMixin, forms.Form):
    """One field per rubric metric (`m<version id>`, plus `cj<id>` "cannot judge" for numbers)."""

    critique = forms.CharField(widget=forms.Textarea(attrs={"rows": 8}), required=False,
                               help_text="Markdown. What holds up, what does not, and why.")
    method_flags = forms.MultipleChoiceField(choices=list(METHOD_FLAGS.items()), required=False,
                                             widget=forms.CheckboxSelectMultiple, label="Method flags")
    evidence_json = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, versions: list[MetricVersion], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.versions = versions
        self.field_aliases = {"critique": "critique", "method_flags": "method_flags"}
        for version in versions:
            key = f"m{version.pk}"
            self.field_aliases[f"scores.{version.pk}"] = key
            if version.is_numeric:
                assert version.minimum is not None and version.maximum is not None  # numeric_scale_has_range
                step = f"{version.step.normalize():f}" if version.step else "any"
                self.fields[key] = forms.CharField(
                    required=False, label=version.name,
                    widget=forms.NumberInput(attrs={"min": f"{version.minimum.normalize():f}",
                                                    "max": f"{version.maximum.normalize():f}", "step": step,
                                                    "class": "score-number", "data-metric": version.pk}))
                self.fields[f"cj{version.pk}"] = forms.BooleanField(
                    required=False, label="Cannot judge",
                    widget=forms.CheckboxInput(attrs={"class": "cannot-judge", "data-metric": version.pk}))
            else:
                choices = [("", "— choose —"), *((v, v) for v in version.values), (CANNOT_JUDGE, "Cannot judge")]
                self.fields[key] = forms.ChoiceField(choices=choices, required=False, label=version.name,
                                                     widget=forms.Select(attrs={"data-metric": version.pk}))

    @staticmethod
    def initial_from(revision, versions: list[MetricVersion]) -> dict:
        initial: dict = {}
        if revision is None:
            return initial
        by_version = {s.metric_version_id: s for s in revision.scores.all()}
        for version in versions:
            score = by_version.get(version.pk)
            if score is None:
                continue
            if version.is_numeric:
                if score.is_missing:
                    initial[f"cj{version.pk}"] = True
                else:
                    initial[f"m{version.pk}"] = format(Decimal(str(score.value)).normalize(), "f")
            else:
                initial[f"m{version.pk}"] = CANNOT_JUDGE if score.is_missing else score.label
        initial["critique"] = revision.critique
        initial["method_flags"] = list(revision.method_flags)
        initial["evidence_json"] = json.dumps([
            {"turn": e.turn_index, "start": e.start, "end": e.end, "quote": e.quote,
             "metric": str(e.metric_version_id) if e.metric_version_id else "", "note": e.note}
            for e in revision.evidence.all() if e.turn_index is not None])
        return initial

    def rows(self) -> list[dict]:
        """Fields grouped for display: [{group, items: [{version, field, cannot_judge}]}]."""
        groups: list[dict] = []
        for version in self.versions:
            if not groups or groups[-1]["group"] != version.group:
                groups.append({"group": version.group, "items": []})
            groups[-1]["items"].append({
                "version": version, "field": self[f"m{version.pk}"],
                "cannot_judge": self[f"cj{version.pk}"] if version.is_numeric else None})
        return groups

    def content(self) -> ReviewContent:
        data = self.cleaned_data
        scores: dict[str, object] = {}
        for version in self.versions:
            raw = (data.get(f"m{version.pk}") or "").strip()
            if version.is_numeric and data.get(f"cj{version.pk}") or raw == CANNOT_JUDGE:
                scores[str(version.pk)] = None
            elif raw:
                scores[str(version.pk)] = raw
        try:
            evidence = json.loads(data.get("evidence_json") or "[]")
        except json.JSONDecodeError:
            raise ServiceError("The evidence list could not be read; reload the page and select the quotes again.",
                               "evidence") from None
        if not isinstance(evidence, list):
            raise ServiceError("The evidence list could not be read.", "evidence")
        for item in evidence:
            if isinstance(item, dict):
                item.pop("quote", None)  # shown in the page only; the server takes the quote from the span
                if isinstance(item.get("metric"), str) and not item["metric"]:
                    item["metric"] = None
        return ReviewContent(scores=scores, critique=data.get("critique", ""),
                             method_flags=data.get("method_flags", []), evidence=evidence)
