"""Stored agreement: Krippendorff's alpha per metric version × slice, per-unit disagreement, recompute requests.

Everything here is derived from review scores and can be rebuilt with `manage.py recompute_agreement`.
How raters, units and slices are defined is documented in `reviews.reliability.services`.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from commons.models import Interview
from reviews.models import MetricVersion
from reviews.reliability.slicing import SMALL_SAMPLE_UNITS


class Audience(models.TextChoices):
    PUBLIC = "public", "Public: reviewed interviews anyone can list"
    INTERNAL = "internal", "Internal: every interview not withdrawn (curators)"


class SliceType(models.TextChoices):
    ALL = "all", "All interviews"
    STUDY = "study", "Study"
    TARGET_MODEL = "target_model", "Target model"
    INTERVIEWER = "interviewer", "Interviewer"
    CONDITION = "condition", "Condition level"
    REVIEWER_KIND = "reviewer_kind", "Reviewer kind"
    HUMAN_JUDGE = "human_judge", "Human panel vs judge panel"
    JUDGE_REPLICATES = "judge_replicates", "Replicates of one judge"


class AgreementResult(models.Model):
    """Alpha of one metric version's scores within one slice, as one audience may see it.

    `alpha` is NULL when undefined, with `undefined_reason` saying why (never NaN). The interval is
    a percentile bootstrap over units (interviews) with the stored `seed`; `inputs_fingerprint` is
    the SHA-256 of the exact (unit, rater, value) triples and the computation settings, so a
    recompute over unchanged inputs writes nothing.
    """

    metric_version = models.ForeignKey(MetricVersion, on_delete=models.CASCADE, related_name="agreement_results")
    audience = models.CharField(max_length=10, choices=Audience.choices)
    slice_type = models.CharField(max_length=20, choices=SliceType.choices)
    slice_value = models.CharField(max_length=200, blank=True,
                                   help_text="Object id, 'factor=level', 'human'/'judge' or 'judge id:prompt version'.")
    slice_label = models.CharField(max_length=300)
    level = models.CharField(max_length=10, help_text="Level of measurement alpha was computed at.")
    alpha = models.FloatField(null=True, blank=True)
    undefined_reason = models.CharField(max_length=60, blank=True)
    observed_disagreement = models.FloatField(null=True, blank=True)
    expected_disagreement = models.FloatField(null=True, blank=True)
    ci_low = models.FloatField(null=True, blank=True)
    ci_high = models.FloatField(null=True, blank=True)
    confidence = models.FloatField(default=0.95)
    bootstrap_replicates = models.PositiveIntegerField(default=0, help_text="Replicates drawn.")
    replicates_used = models.PositiveIntegerField(default=0, help_text="Replicates whose alpha was defined.")
    q_below_667 = models.FloatField(null=True, blank=True,
                                    help_text="Krippendorff's q: share of bootstrap alphas below 0.667.")
    q_below_800 = models.FloatField(null=True, blank=True,
                                    help_text="Krippendorff's q: share of bootstrap alphas below 0.800.")
    seed = models.BigIntegerField(default=0)
    n_units = models.PositiveIntegerField(default=0, help_text="Pairable units: interviews with two or more values.")
    n_units_rated = models.PositiveIntegerField(default=0, help_text="Interviews with at least one value.")
    n_pairable_values = models.PositiveIntegerField(default=0)
    n_ratings = models.PositiveIntegerField(default=0, help_text="Values counted, pairable or not.")
    n_raters = models.PositiveIntegerField(default=0)
    raters = models.JSONField(default=list, blank=True,
                              help_text="Internal results only: each rater's leave-one-out alpha and agreement "
                                        "with the rest.")
    pairwise = models.JSONField(default=dict, blank=True,
                                help_text="Internal results only: rater × rater alpha on shared units.")
    judge_scores_public_before_review = models.BooleanField(
        default=False, help_text="Humans and judges both rated an interview whose study published its judge scores "
                                 "before human review ended: the humans could have seen the judges' values.")
    # The headline above reads each review's blind value (its last revision before others' reviews were
    # visible to its reviewer); the post-discussion figure reads the newest revisions (`discussion`).
    post_discussion_alpha = models.FloatField(
        null=True, blank=True, help_text="Post-discussion: alpha over each review's newest revision, revisions "
                                         "after unblinding included. Never the headline.")
    post_discussion_undefined_reason = models.CharField(max_length=60, blank=True)
    post_discussion_n_units = models.PositiveIntegerField(default=0)
    post_discussion_n_pairable_values = models.PositiveIntegerField(default=0)
    values_revised_after_unblinding = models.PositiveIntegerField(
        default=0, help_text="(Interview, rater) values that differ between the blind and the newest revisions.")
    inputs_fingerprint = models.CharField(max_length=64)
    computed_at = models.DateTimeField()

    @property
    def small_sample(self) -> bool:
        """Fewer than SMALL_SAMPLE_UNITS pairable units: the percentile interval under-covers there."""
        return self.n_units < SMALL_SAMPLE_UNITS

    class Meta:
        ordering = ["metric_version", "audience", "slice_type", "slice_label"]
        constraints = [
            models.UniqueConstraint(fields=["metric_version", "audience", "slice_type", "slice_value"],
                                    name="one_agreement_result_per_slice"),
            models.CheckConstraint(condition=Q(alpha__isnull=False) | ~Q(undefined_reason=""),
                                   name="undefined_alpha_has_reason"),
        ]
        indexes = [models.Index(fields=["audience", "slice_type", "metric_version"], name="agreement_listing")]

    def __str__(self) -> str:
        return f"alpha {self.metric_version_id} {self.audience} {self.slice_type}={self.slice_value}"


class UnitDisagreement(models.Model):
    """How far one interview's reviewers disagree on one metric version (internal, all-raters slice).

    `relative_disagreement` is the unit's mean pairwise distance divided by the disagreement
    expected by chance over all interviews: 0 is full agreement, 1 is chance level. NULL when alpha
    of the metric is undefined. `values` lists the values counted, without who gave them.
    """

    metric_version = models.ForeignKey(MetricVersion, on_delete=models.CASCADE, related_name="unit_disagreements")
    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="unit_disagreements")
    n_values = models.PositiveIntegerField()
    values = models.JSONField(default=list)
    mean_pairwise_difference = models.FloatField()
    relative_disagreement = models.FloatField(null=True, blank=True)
    value_range = models.FloatField(null=True, blank=True)
    value_std = models.FloatField(null=True, blank=True)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["metric_version", "interview"]
        constraints = [models.UniqueConstraint(fields=["metric_version", "interview"], name="one_unit_disagreement")]
        indexes = [models.Index(fields=["relative_disagreement"], name="unit_disagreement_rank"),
                   models.Index(fields=["interview"], name="unit_disagreement_interview")]


class RecomputeRequest(models.Model):
    """Coalesces recomputation of one metric version's agreement.

    `requests` counts requests (bumped in the transaction that changed scores); `enqueued_at` is
    set while a task is queued, so a burst of requests enqueues one task. A run takes a ticket
    (`runs`) when it starts; it writes only if no later run has written (`written_run`), and on
    success marks `completed_requests` = the `requests` it started from. `requests >
    completed_requests` means work is pending (see `recompute_agreement --pending`).
    """

    metric_version = models.OneToOneField(MetricVersion, on_delete=models.CASCADE, primary_key=True,
                                          related_name="recompute_request")
    requests = models.PositiveBigIntegerField(default=0)
    completed_requests = models.PositiveBigIntegerField(default=0)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    runs = models.PositiveBigIntegerField(default=0)
    written_run = models.PositiveBigIntegerField(default=0)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"recompute {self.metric_version_id}: {self.completed_requests}/{self.requests}"
