from __future__ import annotations

from rest_framework import serializers

from reviews.reliability.models import AgreementResult, UnitDisagreement


class AgreementResultSerializer(serializers.ModelSerializer):
    """One stored alpha. `alpha` is null when undefined, and `undefined_reason` says why.

    `alpha` (the headline) counts each review's blind value; `post_discussion_*` count the newest revisions,
    revisions made after the reviewer could see the other reviews included — a separate figure, never the headline."""

    metric = serializers.CharField(source="metric_version.metric.slug")
    metric_name = serializers.CharField(source="metric_version.name")
    metric_version = serializers.IntegerField(source="metric_version.number")
    metric_version_id = serializers.IntegerField()
    undefined_reason = serializers.SerializerMethodField()
    small_sample = serializers.BooleanField(read_only=True, help_text="Fewer than 30 pairable units.")

    class Meta:
        model = AgreementResult
        fields = ["id", "metric", "metric_name", "metric_version", "metric_version_id", "level", "audience",
                  "slice_type", "slice_value", "slice_label", "alpha", "undefined_reason", "ci_low", "ci_high",
                  "confidence", "bootstrap_replicates", "replicates_used", "q_below_667", "q_below_800",
                  "small_sample", "seed", "n_units", "n_units_rated",
                  "n_pairable_values", "n_ratings", "n_raters", "observed_disagreement", "expected_disagreement",
                  "judge_scores_public_before_review", "post_discussion_alpha", "post_discussion_undefined_reason",
                  "post_discussion_n_units", "post_discussion_n_pairable_values", "values_revised_after_unblinding",
                  "inputs_fingerprint", "computed_at"]

    def get_undefined_reason(self, result: AgreementResult) -> str | None:
        return result.undefined_reason or None


class RaterBreakdownSerializer(AgreementResultSerializer):
    class Meta(AgreementResultSerializer.Meta):
        fields = [*AgreementResultSerializer.Meta.fields, "raters", "pairwise"]


class FlaggedUnitSerializer(serializers.ModelSerializer):
    metric = serializers.CharField(source="metric_version.metric.slug")
    metric_version = serializers.IntegerField(source="metric_version.number")
    interview_title = serializers.CharField(source="interview.title")

    class Meta:
        model = UnitDisagreement
        fields = ["interview", "interview_title", "metric", "metric_version", "n_values", "values",
                  "relative_disagreement", "value_range", "value_std", "computed_at"]
