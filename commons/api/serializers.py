from __future__ import annotations

from typing import Any, cast

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from commons import selectors
from commons.names import public_name
from commons.rules import may_see_source_scores
from commons.models import ImportJob, Interview, Interviewer, Licence, Redaction, Study, TargetModel, Turn
from commons.redaction import TurnMask, mask_for, placeholder
from commons.transcripts import FORMATS

MASK_KEY = "redaction_mask"  # where InterviewDetailSerializer leaves the viewer's TurnMask for its turns


@extend_schema_field(serializers.CharField(allow_blank=True, help_text="Display name or stable pseudonym; never an e-mail."))
class PublicNameField(serializers.Field):
    """A person as the public sees them (commons.names.public_name): `PublicNameField(source="contributor")`."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, user: object) -> str:
        return public_name(user)


class TargetModelSerializer(serializers.ModelSerializer):
    class Meta:
        model = TargetModel
        fields = ["id", "name", "provider", "api_id", "family", "release_date", "retired", "retirement_date"]

    def validate_name(self, value: str) -> str:
        value = value.strip()
        same_name = TargetModel.objects.filter(name__iexact=value)
        if self.instance is not None:
            same_name = same_name.exclude(pk=self.instance.pk)
        if same_name.exists():
            raise serializers.ValidationError(f"A target model named “{value}” already exists.")
        return value


class InterviewerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Interviewer
        fields = ["id", "name", "kind", "stance", "description"]
        validators: list[object] = []  # the unique-together check below gives a clearer message

    def validate(self, attrs: dict) -> dict:
        if Interviewer.objects.filter(name=attrs["name"], kind=attrs.get("kind", "model"),
                                      stance=attrs.get("stance", "")).exists():
            raise serializers.ValidationError({"name": ["This interviewer (name, kind, stance) already exists."]})
        return attrs


class JudgeScoresPublicSerializer(serializers.Serializer):
    public = serializers.BooleanField(help_text="True: the study's model-judge scores are published data, shown "
                                                "before human review ends. False: blind until each interview is reviewed.")


class StudySerializer(serializers.ModelSerializer):
    class Meta:
        model = Study
        fields = ["id", "title", "slug", "question", "protocol", "factors", "judge_scores_public"]
        read_only_fields = ["judge_scores_public"]  # changed only through its own, audited action

    def validate_factors(self, value: object) -> dict:
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, list) and v and all(isinstance(x, str) for x in v)
            for k, v in value.items()
        ):
            raise serializers.ValidationError('Expected an object of factor → list of levels, e.g. {"tone": ["neutral", "warm"]}.')
        return value


class RedactionMarkSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    by = serializers.ChoiceField(choices=Redaction.By.choices)
    reason = serializers.CharField()
    placeholder = serializers.CharField(help_text="What the public sees instead of the turn's content.")
    text_shown = serializers.BooleanField(help_text="True: you may read the text (it is redacted for the public).")


class TurnSerializer(serializers.ModelSerializer):
    """A turn as this viewer may see it: a redacted turn's blocks are one {"type": "redacted", "text": placeholder}
    block unless the viewer reads redacted text (commons.redaction)."""

    # The metaclass pops declared fields off the class, so this does not shadow Field.parent; the stub cannot know.
    parent = serializers.SerializerMethodField()  # type: ignore[assignment]
    blocks = serializers.SerializerMethodField()
    redaction = serializers.SerializerMethodField()

    class Meta:
        model = Turn
        fields = ["index", "role", "participant", "blocks", "parent", "starts_over", "redaction"]

    def _mask(self) -> TurnMask:
        return self.context.get(MASK_KEY) or TurnMask()

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_blocks(self, turn: Turn) -> list:
        return self._mask().blocks(turn.index, turn.blocks)

    @extend_schema_field(RedactionMarkSerializer(allow_null=True))
    def get_redaction(self, turn: Turn) -> dict | None:
        return self._mask().mark(turn.index)

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_parent(self, turn: Turn) -> int | None:
        return turn.parent.index if turn.parent is not None else None


class BriefModelSerializer(serializers.ModelSerializer):
    class Meta:
        model = TargetModel
        fields = ["id", "name", "api_id", "provider"]


class BriefInterviewerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Interviewer
        fields = ["id", "name", "kind", "stance"]


class InterviewSerializer(serializers.ModelSerializer):
    target_model = BriefModelSerializer()
    interviewer = BriefInterviewerSerializer(allow_null=True)
    study: serializers.SlugRelatedField[Study] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True)  # no study: null
    contributor = PublicNameField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Interview
        fields = ["id", "url", "title", "target_model", "interviewer", "study", "contributor", "conditions", "topics", "conducted_on",
                  "licence", "status", "visibility", "source_format", "source_id", "content_hash", "created_at",
                  "submitted_at", "withdrawn_at", "withdrawal_reason"]

    def get_url(self, interview: Interview) -> str:
        request = self.context.get("request")
        path = interview.get_absolute_url()
        return request.build_absolute_uri(path) if request else path


class InterviewDetailSerializer(InterviewSerializer):
    turns = TurnSerializer(many=True, read_only=True)
    source_scores = serializers.SerializerMethodField(
        help_text="Deprecated: read GET /api/v1/interviews/{id}/source-scores/ instead; this field goes in the "
                  "next release. Scores found in the uploaded file; empty while reviews of this interview are "
                  "blind to you.")

    class Meta(InterviewSerializer.Meta):
        fields = InterviewSerializer.Meta.fields + ["sampling", "source_scores", "metadata", "turns"]

    metadata = serializers.SerializerMethodField(
        help_text="What the source file said about the interview. Empty where part of it is redacted from you "
                  "(the metadata can repeat a turn, e.g. an Inspect log's input).")

    @extend_schema_field({"type": "object", "additionalProperties": {}})
    def get_metadata(self, interview: Interview) -> dict:
        return {} if self._mask().any_hidden else interview.metadata

    def _mask(self) -> TurnMask:
        return self.context.get(MASK_KEY) or TurnMask()

    def to_representation(self, interview: Interview) -> dict:
        # The nested turns read the mask from the shared context: one query for the interview's redactions.
        cast(dict, self.context)[MASK_KEY] = mask_for(getattr(self.context.get("request"), "user", None), interview)
        return super().to_representation(interview)

    @extend_schema_field({"type": "object", "additionalProperties": {}, "deprecated": True})
    def get_source_scores(self, interview: Interview) -> dict:
        request = self.context.get("request")
        return interview.source_scores if may_see_source_scores(getattr(request, "user", None), interview) else {}


class ScopedChoicesSerializer(serializers.Serializer):
    """Accepts only the target models, interviewers and studies the requesting user may see (commons.selectors):
    an id or slug of anything else is "does not exist", as for a wrong one."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user = getattr(self.context.get("request"), "user", None)
        scoped = {"target_model": selectors.visible_models, "interviewer": selectors.visible_interviewers,
                  "study": selectors.visible_studies}
        for name, visible in scoped.items():
            field = self.fields[name]
            assert isinstance(field, serializers.RelatedField)
            setattr(field, "queryset", visible(user))  # the stubs type RelatedField.queryset as a manager descriptor


class InterviewCreateSerializer(ScopedChoicesSerializer):
    """Submit one transcript: as text in `transcript`, or as a file upload in `file` (multipart)."""

    transcript = serializers.CharField(required=False, trim_whitespace=False, allow_blank=True)
    file = serializers.FileField(required=False)
    format = serializers.ChoiceField(choices=[f for f in FORMATS], required=False, allow_blank=True,
                                     help_text="Force a format instead of detecting it.")
    target_model = serializers.PrimaryKeyRelatedField(queryset=TargetModel.objects.all(), required=False,
                                                      allow_null=True,
                                                      help_text="Required unless the transcript names its model.")
    interviewer = serializers.PrimaryKeyRelatedField(queryset=Interviewer.objects.all(), required=False, allow_null=True)
    study = serializers.SlugRelatedField(slug_field="slug", queryset=Study.objects.all(), required=False, allow_null=True)
    title = serializers.CharField(required=False, allow_blank=True, max_length=300)
    conditions = serializers.DictField(child=serializers.CharField(max_length=100), required=False)
    topics = serializers.ListField(child=serializers.CharField(max_length=80), required=False, max_length=30)
    conducted_on = serializers.DateField(required=False, allow_null=True)
    licence = serializers.ChoiceField(choices=Licence.choices, default=Licence.CC_BY_4)
    visibility = serializers.ChoiceField(choices=Interview.Visibility.choices, default=Interview.Visibility.PUBLIC)
    submit = serializers.BooleanField(default=True, help_text="False saves a draft.")

    def validate(self, attrs: dict) -> dict:
        has_text = bool(attrs.get("transcript", "").strip())
        if has_text == bool(attrs.get("file")):
            raise serializers.ValidationError({"transcript": ["Give the transcript either as text or as a file, not both."]
                                               if has_text else ["This field is required (or upload `file`)."]})
        return attrs


class RedactionSerializer(serializers.ModelSerializer):
    placeholder = serializers.SerializerMethodField()

    class Meta:
        model = Redaction
        fields = ["id", "turn_index", "and_earlier", "reason", "by", "placeholder", "created_at"]
        read_only_fields = ["id", "by", "placeholder", "created_at"]
        validators: list[object] = []  # the service says "already redacted" in words

    def get_placeholder(self, redaction: Redaction) -> str:
        return placeholder(redaction)


class WithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class ImportJobSerializer(serializers.ModelSerializer):
    percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = ImportJob
        fields = ["id", "filename", "size", "status", "total", "processed", "percent", "accepted", "duplicates",
                  "rejected", "skipped", "report", "error", "created_at", "started_at", "finished_at"]


class ImportCreateSerializer(ScopedChoicesSerializer):
    file = serializers.FileField()
    licence = serializers.ChoiceField(choices=Licence.choices, default=Licence.CC_BY_4)
    visibility = serializers.ChoiceField(choices=Interview.Visibility.choices, default=Interview.Visibility.PUBLIC)
    study = serializers.SlugRelatedField(slug_field="slug", queryset=Study.objects.all(), required=False, allow_null=True)
    target_model = serializers.PrimaryKeyRelatedField(queryset=TargetModel.objects.all(), required=False, allow_null=True)
    interviewer = serializers.PrimaryKeyRelatedField(queryset=Interviewer.objects.all(), required=False, allow_null=True)
    submit = serializers.BooleanField(default=True)
