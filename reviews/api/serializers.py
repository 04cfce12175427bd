from __future__ import annotations

from typing import cast

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from commons.api.serializers import PublicNameField
from commons.models import Study, User
from commons.redaction import mask_for
from reviews import selectors
from reviews.models import (
    Assignment,
    EvidenceQuote,
    Judge,
    Metric,
    MetricComment,
    MetricVersion,
    Review,
    ReviewerApplication,
    ReviewRevision,
    Rubric,
    ScaleType,
    Score,
    StudyReviewConfig,
)
from reviews.services import METHOD_FLAGS, ScaleSpec

# --- output -----------------------------------------------------------------------------------------


class MetricVersionSerializer(serializers.ModelSerializer):
    slug = serializers.CharField(source="metric.slug", read_only=True)
    minimum = serializers.DecimalField(max_digits=10, decimal_places=4, coerce_to_string=False, allow_null=True)
    maximum = serializers.DecimalField(max_digits=10, decimal_places=4, coerce_to_string=False, allow_null=True)
    step = serializers.DecimalField(max_digits=10, decimal_places=4, coerce_to_string=False, allow_null=True)

    class Meta:
        model = MetricVersion
        fields = ["id", "slug", "number", "name", "group", "definition", "scale_type", "values", "minimum", "maximum",
                  "step", "anchors", "status", "change_note", "created_at", "adopted_at", "retired_at"]


class MetricSerializer(serializers.ModelSerializer):
    versions = MetricVersionSerializer(many=True, read_only=True)

    class Meta:
        model = Metric
        fields = ["slug", "created_at", "versions"]


class MetricCommentSerializer(serializers.ModelSerializer):
    author = PublicNameField()
    version = serializers.IntegerField(source="version.number", read_only=True)

    class Meta:
        model = MetricComment
        fields = ["id", "version", "author", "body", "body_html", "created_at"]


class RubricSerializer(serializers.ModelSerializer):
    versions = serializers.SerializerMethodField()

    class Meta:
        model = Rubric
        fields = ["slug", "name", "description", "is_default", "versions"]

    @extend_schema_field(MetricVersionSerializer(many=True))
    def get_versions(self, rubric: Rubric) -> list[dict]:
        # many=True builds a ListSerializer, whose data is a list; the stub types every Serializer's data as a dict.
        return MetricVersionSerializer(selectors.rubric_versions(rubric), many=True).data  # type: ignore[return-value]


class StudyReviewConfigSerializer(serializers.ModelSerializer):
    study: serializers.SlugRelatedField[Study] = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    rubric: serializers.SlugRelatedField[Rubric] = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = StudyReviewConfig
        fields = ["study", "rubric", "target_reviews"]


class ScoreSerializer(serializers.ModelSerializer):
    metric = serializers.CharField(source="metric_version.metric.slug")
    metric_version = serializers.IntegerField(source="metric_version_id")
    version_number = serializers.IntegerField(source="metric_version.number")
    # Not get_value: that name is Field.get_value(data), which DRF calls to read a nested field's input.
    value = serializers.SerializerMethodField(method_name="get_score_value")
    missing = serializers.BooleanField(source="is_missing")

    class Meta:
        model = Score
        fields = ["metric", "metric_version", "version_number", "value", "missing", "missing_reason"]

    @extend_schema_field(serializers.JSONField(allow_null=True, help_text="A number, a label, or null (cannot judge)."))
    def get_score_value(self, score: Score) -> float | str | None:
        if score.is_missing:
            return None
        return score.label or score.value


class EvidenceSerializer(serializers.ModelSerializer):
    """A quote inside a turn redacted from this viewer (commons.redaction) is left out — `quote` empty, `hidden`
    true — while its review's scores still count."""

    turn = serializers.IntegerField(source="turn_index", allow_null=True)
    metric = serializers.CharField(source="metric_version.metric.slug", allow_null=True, default=None)
    quote = serializers.SerializerMethodField()
    hidden = serializers.SerializerMethodField(help_text="True: the quoted turn is redacted and you may not read it.")

    class Meta:
        model = EvidenceQuote
        fields = ["turn", "start", "end", "quote", "metric", "note", "source_field", "hidden"]

    def get_hidden(self, evidence: EvidenceQuote) -> bool:
        review = evidence.revision.review
        masks = cast(dict, self.context).setdefault("redaction_masks", {})  # one per interview, in the shared context
        if review.interview_id not in masks:
            masks[review.interview_id] = mask_for(getattr(self.context.get("request"), "user", None), review.interview)
        return masks[review.interview_id].quote_hidden(evidence.turn_index)

    def get_quote(self, evidence: EvidenceQuote) -> str:
        return "" if self.get_hidden(evidence) else evidence.quote


class RevisionSerializer(serializers.ModelSerializer):
    scores = ScoreSerializer(many=True, read_only=True)
    evidence = EvidenceSerializer(many=True, read_only=True)

    class Meta:
        model = ReviewRevision
        fields = ["number", "is_draft", "is_current", "after_unblinding", "submitted_at", "updated_at", "critique",
                  "critique_html", "method_flags", "scores", "evidence"]


class JudgeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Judge
        fields = ["id", "name", "model_identifier", "description"]


class ReviewSerializer(serializers.ModelSerializer):
    """Automated reviews say so in `kind` ("judge") and carry `judge`; human ones carry `reviewer`."""

    url = serializers.SerializerMethodField()
    reviewer = serializers.SerializerMethodField()
    judge = serializers.SerializerMethodField()
    current_revision = serializers.SerializerMethodField()
    revisions = serializers.SerializerMethodField()

    class Meta:
        model = Review
        fields = ["id", "url", "interview", "kind", "reviewer", "judge", "status", "submitted_at", "revisions",
                  "current_revision"]

    def get_url(self, review: Review) -> str:
        request = self.context.get("request")
        path = review.get_absolute_url()
        return request.build_absolute_uri(path) if request else path

    @extend_schema_field(serializers.CharField(allow_null=True, help_text="Name or stable pseudonym; null for judges."))
    def get_reviewer(self, review: Review) -> str | None:
        return None if review.is_judge else selectors.public_name(review)

    @extend_schema_field(serializers.DictField(allow_null=True))
    def get_judge(self, review: Review) -> dict | None:
        if review.judge is None:  # a human review (the review_rater_matches_kind constraint)
            return None
        return {"name": review.judge.name, "model": review.judge.model_identifier,
                "prompt_version": review.prompt_version, "replicate": review.replicate}

    @extend_schema_field(serializers.IntegerField())
    def get_revisions(self, review: Review) -> int:
        return review.revisions.filter(is_draft=False).count()

    @extend_schema_field(RevisionSerializer(allow_null=True))
    def get_current_revision(self, review: Review) -> dict | None:
        if review.current_revision is None:
            return None
        return RevisionSerializer(selectors.revision_detail(review.current_revision), context=self.context).data


class OwnReviewSerializer(ReviewSerializer):
    draft = serializers.SerializerMethodField()

    class Meta(ReviewSerializer.Meta):
        fields = ReviewSerializer.Meta.fields + ["draft"]

    @extend_schema_field(RevisionSerializer(allow_null=True))
    def get_draft(self, review: Review) -> dict | None:
        draft = selectors.open_draft(review)
        return RevisionSerializer(selectors.revision_detail(draft), context=self.context).data if draft else None


class AssignmentSerializer(serializers.ModelSerializer):
    interview_title = serializers.CharField(source="interview.title", read_only=True)
    workspace = serializers.SerializerMethodField()

    class Meta:
        model = Assignment
        fields = ["id", "interview", "interview_title", "slot", "kind", "claimed_at", "expires_at", "due_at", "workspace"]

    def get_workspace(self, slot: Assignment) -> str:
        from django.urls import reverse

        request = self.context.get("request")
        path = reverse("reviews:workspace", args=[slot.interview_id])
        return request.build_absolute_uri(path) if request else path


class ApplicationSerializer(serializers.ModelSerializer):
    applicant = serializers.CharField(source="applicant.email", read_only=True)

    class Meta:
        model = ReviewerApplication
        fields = ["id", "applicant", "expertise", "affiliation", "conflicts", "status", "created_at", "decided_at",
                  "decision_note"]
        read_only_fields = ["status", "created_at", "decided_at", "decision_note"]


# --- input ------------------------------------------------------------------------------------------


class MetricVersionInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=160)
    definition = serializers.CharField()
    scale_type = serializers.ChoiceField(choices=ScaleType.choices)
    values = serializers.ListField(child=serializers.CharField(max_length=120), required=False, default=list)
    minimum = serializers.DecimalField(max_digits=10, decimal_places=4, required=False, allow_null=True)
    maximum = serializers.DecimalField(max_digits=10, decimal_places=4, required=False, allow_null=True)
    step = serializers.DecimalField(max_digits=10, decimal_places=4, required=False, allow_null=True)
    anchors = serializers.DictField(child=serializers.CharField(max_length=2000))
    group = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
    change_note = serializers.CharField(required=False, allow_blank=True, default="")

    def spec(self) -> ScaleSpec:
        d = self.validated_data
        return ScaleSpec(name=d["name"], definition=d["definition"], scale_type=d["scale_type"], values=d["values"],
                         minimum=d.get("minimum"), maximum=d.get("maximum"), step=d.get("step"),
                         anchors=d["anchors"], group=d["group"])


class MetricInputSerializer(MetricVersionInputSerializer):
    slug = serializers.CharField(max_length=80)


class CommentInputSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=10000)


class RetireInputSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class RubricInputSerializer(serializers.Serializer):
    versions = serializers.PrimaryKeyRelatedField(queryset=MetricVersion.objects.select_related("metric"), many=True)


class RubricCreateSerializer(RubricInputSerializer):
    name = serializers.CharField(max_length=160)
    slug = serializers.CharField(max_length=80)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    is_default = serializers.BooleanField(default=False)


class StudyConfigInputSerializer(serializers.Serializer):
    rubric = serializers.SlugRelatedField(slug_field="slug", queryset=Rubric.objects.all(), allow_null=True,
                                          required=False, default=None)
    target_reviews = serializers.IntegerField(min_value=1, max_value=20)


class ApplicationInputSerializer(serializers.Serializer):
    expertise = serializers.CharField(max_length=5000)
    affiliation = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    conflicts = serializers.CharField(required=False, allow_blank=True, default="", max_length=20000)


class DecisionInputSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)


class AssignInputSerializer(serializers.Serializer):
    interview = serializers.IntegerField()
    reviewer = serializers.SlugRelatedField(slug_field="email", queryset=User.objects.filter(is_active=True))
    due_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class ReviewInputSerializer(serializers.Serializer):
    """`scores` maps a metric slug (or `slug@version`, or metric version id) to a number, a label, or
    null / "cannot-judge". Metrics left out are unanswered (allowed in a draft, not on submit)."""

    scores = serializers.DictField(child=serializers.JSONField(allow_null=True), required=False, default=dict)
    critique = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False)
    method_flags = serializers.ListField(child=serializers.ChoiceField(choices=list(METHOD_FLAGS)), required=False,
                                         default=list)
    evidence = serializers.ListField(child=serializers.DictField(), required=False, default=list, max_length=100,
                                     help_text="[{turn, start, end, metric?, note?, quote?}] — spans in code points "
                                               "of the turn's text, end exclusive.")


class SourceScoresSerializer(serializers.Serializer):
    interview = serializers.IntegerField()
    open = serializers.BooleanField(help_text="Whether the blind rule lets you see the scores yet.")
    scores = serializers.DictField(help_text="The scores as recorded in the source file; empty while closed.")
