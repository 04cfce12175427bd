"""Peer review: shared versioned metrics, rubrics, the review queue, reviews with revisions and scores.

Scores live in one narrow table (revision × metric version → number and/or label, NULL = missing)
so the agreement job can read millions of them in bulk.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from commons.models import Interview, Study
from reviews.derived import FORMULAS


class ScaleType(models.TextChoices):
    NOMINAL = "nominal", "Nominal (unordered categories)"
    ORDINAL = "ordinal", "Ordinal (ordered levels)"
    INTERVAL = "interval", "Interval (numbers, equal steps)"
    RATIO = "ratio", "Ratio (numbers with a true zero, e.g. counts)"


CATEGORICAL = (ScaleType.NOMINAL, ScaleType.ORDINAL)
NUMERIC = (ScaleType.INTERVAL, ScaleType.RATIO)


class Metric(models.Model):
    """A community standard. Its content lives in immutable versions; the slug is the stable name."""

    slug = models.SlugField(max_length=80, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug

    def get_absolute_url(self) -> str:
        return reverse("reviews:metric_detail", args=[self.slug])


class MetricVersion(models.Model):
    """One definition of a metric. Never edited after creation: a change is a new version.

    Only `status` moves (proposed → adopted → retired); every score points at the version it was
    given under, so old reviews keep their meaning when a definition changes.
    """

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        ADOPTED = "adopted", "Adopted"
        RETIRED = "retired", "Retired"

    metric = models.ForeignKey(Metric, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    name = models.CharField(max_length=160)
    definition = models.TextField()
    scale_type = models.CharField(max_length=10, choices=ScaleType.choices)
    values = models.JSONField(default=list, blank=True,
                              help_text="Allowed labels for nominal/ordinal scales (ordinal: lowest first).")
    minimum = models.DecimalField(max_digits=10, decimal_places=4, null=True, blank=True)
    maximum = models.DecimalField(max_digits=10, decimal_places=4, null=True, blank=True)
    step = models.DecimalField(max_digits=10, decimal_places=4, null=True, blank=True)
    anchors = models.JSONField(default=dict, blank=True, help_text="Scale point → what it means.")
    group = models.CharField(max_length=80, blank=True, help_text="Heading the metric is shown under in forms.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED, db_index=True)
    formula = models.CharField(max_length=12, blank=True, choices=[(f, f) for f in FORMULAS],
                               help_text="Derived versions only (blank = scored by raters): see reviews/derived.py.")
    formula_inputs = models.JSONField(default=list, blank=True,
                                      help_text="Derived versions only: the input metric version ids, in order.")
    change_note = models.TextField(blank=True, help_text="Why this version differs from the previous one.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    adopted_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["metric__slug", "number"]
        constraints = [
            models.UniqueConstraint(fields=["metric", "number"], name="unique_metric_version_number"),
            models.CheckConstraint(
                condition=Q(scale_type__in=["nominal", "ordinal"]) | (
                    Q(minimum__isnull=False) & Q(maximum__isnull=False) & Q(maximum__gt=models.F("minimum"))),
                name="numeric_scale_has_range"),
        ]

    def __str__(self) -> str:
        return f"{self.name} (v{self.number})"

    @property
    def slug(self) -> str:
        return self.metric.slug

    @property
    def is_numeric(self) -> bool:
        return self.scale_type in NUMERIC

    @property
    def is_derived(self) -> bool:
        """Computed from other versions' scores by a formula (`reviews.derived`), never scored directly."""
        return bool(self.formula)

    def derived_description(self) -> str:
        """The formula in words, naming its inputs (empty for a version raters score)."""
        if not self.is_derived:
            return ""
        from reviews.derived import describe

        found = {v.pk: v for v in MetricVersion.objects.filter(pk__in=self.formula_inputs)}
        return describe(self.formula, [str(found[int(pk)]) for pk in self.formula_inputs if int(pk) in found])

    def scale_points(self) -> list[str]:
        """The labels, or the anchored numbers, in scale order — what a form offers or explains."""
        if not self.is_numeric:
            return list(self.values)
        return sorted(self.anchors, key=lambda k: Decimal(k))

    def describe_scale(self) -> str:
        if not self.is_numeric:
            return " < ".join(self.values) if self.scale_type == ScaleType.ORDINAL else " | ".join(self.values)
        step = f" in steps of {self.step.normalize():f}" if self.step else ""
        low, high = self.minimum or Decimal(0), self.maximum or Decimal(0)  # numeric versions have both
        return f"{low.normalize():f}–{high.normalize():f}{step}"

    def anchor_rows(self) -> list[tuple[str, str]]:
        return [(point, self.anchors[point]) for point in self.scale_points() if point in self.anchors]


class MetricComment(models.Model):
    """Discussion of a proposed version by any verified user."""

    version = models.ForeignKey(MetricVersion, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    body_html = models.TextField(help_text="Sanitized rendering of the Markdown body.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]


class Rubric(models.Model):
    """A named set of metric versions (at most one version per metric)."""

    name = models.CharField(max_length=160)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True)
    is_default = models.BooleanField(default=False, help_text="Used by interviews outside a study or whose study has none.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True),
                                               name="one_default_rubric")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("reviews:rubric_detail", args=[self.slug])


class RubricItem(models.Model):
    rubric = models.ForeignKey(Rubric, on_delete=models.CASCADE, related_name="items")
    metric = models.ForeignKey(Metric, on_delete=models.PROTECT, related_name="+")
    version = models.ForeignKey(MetricVersion, on_delete=models.PROTECT, related_name="rubric_items")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["rubric", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["rubric", "metric"], name="one_version_per_metric_in_rubric")]


class StudyReviewConfig(models.Model):
    """How a study is reviewed: its rubric and the number of independent human reviews per interview."""

    study = models.OneToOneField(Study, on_delete=models.CASCADE, related_name="review_config")
    rubric = models.ForeignKey(Rubric, null=True, blank=True, on_delete=models.PROTECT, related_name="studies",
                               help_text="Empty means the default rubric.")
    target_reviews = models.PositiveSmallIntegerField(default=3)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(target_reviews__gte=1) & Q(target_reviews__lte=20),
                                              name="target_reviews_in_range")]


class ReviewerProfile(models.Model):
    """What a reviewer declared (affiliation, conflicts) and how they appear publicly."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviewer_profile")
    affiliation = models.CharField(max_length=200, blank=True)
    conflicts = models.JSONField(default=list, blank=True,
                                 help_text="Declared conflicts: e-mail addresses of people or names of organisations.")
    expertise = models.TextField(blank=True)
    # how a reviewer appears is the person's own choice on their account (User.use_pseudonym, commons.names)

    def __str__(self) -> str:
        return f"Reviewer profile of {self.user}"


class ReviewerApplication(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        DECLINED = "declined", "Declined"

    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviewer_applications")
    expertise = models.TextField()
    affiliation = models.CharField(max_length=200, blank=True)
    conflicts = models.TextField(blank=True, help_text="One per line: e-mail of a person or name of an organisation.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["applicant"], condition=Q(status="pending"),
                                               name="one_pending_application")]


class Judge(models.Model):
    """A model used as an automated reviewer."""

    name = models.CharField(max_length=120, unique=True)
    model_identifier = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Review(models.Model):
    """One rater's review of one interview: a person, or a model judge's replicate.

    Content lives in revisions; `current_revision` is the latest submitted one. `unblinded_at` is the
    moment another review of the interview first became visible to this reviewer (see
    `reviews.services.unblinding`); the last revision submitted at or before it is the blind value,
    the one headline agreement uses.
    """

    class Kind(models.TextChoices):
        HUMAN = "human", "Human reviewer"
        JUDGE = "judge", "Model judge"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"

    interview = models.ForeignKey(Interview, on_delete=models.PROTECT, related_name="reviews")
    kind = models.CharField(max_length=6, choices=Kind.choices)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="reviews")
    judge = models.ForeignKey(Judge, null=True, blank=True, on_delete=models.PROTECT, related_name="reviews")
    prompt_version = models.CharField(max_length=60, blank=True, help_text="Judge prompt/rubric version.")
    replicate = models.PositiveIntegerField(null=True, blank=True)
    source = models.CharField(max_length=300, blank=True, help_text="Where an imported review came from.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    current_revision = models.OneToOneField("ReviewRevision", null=True, blank=True, on_delete=models.SET_NULL,
                                            related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    unblinded_at = models.DateTimeField(
        null=True, blank=True, help_text="When another review of this interview first became visible to this "
                                         "reviewer. Set once, never moved; empty while blind (and for judges).")

    class Meta:
        ordering = ["interview", "submitted_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="human", reviewer__isnull=False, judge__isnull=True)
                           | Q(kind="judge", judge__isnull=False, reviewer__isnull=True, replicate__isnull=False)),
                name="review_rater_matches_kind"),
            models.UniqueConstraint(fields=["interview", "reviewer"], condition=Q(reviewer__isnull=False),
                                    name="one_review_per_reviewer"),
            models.UniqueConstraint(fields=["interview", "judge", "prompt_version", "replicate"],
                                    condition=Q(judge__isnull=False), name="one_review_per_judge_replicate"),
        ]
        indexes = [models.Index(fields=["interview", "status"])]

    def __str__(self) -> str:
        return f"Review {self.pk} of interview {self.interview_id}"

    def get_absolute_url(self) -> str:
        return reverse("reviews:review_detail", args=[self.pk])

    @property
    def is_judge(self) -> bool:
        return self.kind == self.Kind.JUDGE


class ReviewRevision(models.Model):
    """A version of a review's content. Submitted revisions are never changed; at most one draft is open."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    is_draft = models.BooleanField(default=True)
    is_current = models.BooleanField(default=False, help_text="The latest submitted revision of its review.")
    critique = models.TextField(blank=True, help_text="Markdown source.")
    critique_html = models.TextField(blank=True, help_text="Sanitized HTML rendering of the critique.")
    method_flags = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["review", "number"]
        constraints = [
            models.UniqueConstraint(fields=["review", "number"], name="unique_revision_number"),
            models.UniqueConstraint(fields=["review"], condition=Q(is_draft=True), name="one_open_draft"),
            models.UniqueConstraint(fields=["review"], condition=Q(is_current=True), name="one_current_revision"),
        ]
        indexes = [models.Index(fields=["is_current", "review"])]

    def __str__(self) -> str:
        return f"Review {self.review_id} r{self.number}{' (draft)' if self.is_draft else ''}"

    @property
    def after_unblinding(self) -> bool:
        """Submitted after its reviewer could see others' reviews: kept, shown, never in headline agreement."""
        unblinded_at = self.review.unblinded_at
        return bool(unblinded_at and self.submitted_at and self.submitted_at > unblinded_at)


class Score(models.Model):
    """One metric's value in one revision. `value` NULL and `label` empty = cannot judge (missing).

    Numeric scales store the number; categorical scales store the label and its position in the
    version's value list (so ordinal data sorts without a join).
    """

    revision = models.ForeignKey(ReviewRevision, on_delete=models.CASCADE, related_name="scores")
    metric_version = models.ForeignKey(MetricVersion, on_delete=models.PROTECT, related_name="scores")
    value = models.FloatField(null=True, blank=True)
    label = models.CharField(max_length=120, blank=True)
    missing_reason = models.CharField(max_length=80, blank=True,
                                      help_text="How a missing value was recorded (e.g. 'cannot judge', a source encoding).")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["revision", "metric_version"], name="one_score_per_metric")]
        indexes = [models.Index(fields=["metric_version", "revision"], name="score_metric_revision")]

    @property
    def is_missing(self) -> bool:
        return self.value is None and not self.label

    def display(self) -> str:
        if self.is_missing:
            return "cannot judge"
        if self.label:
            return self.label
        return f"{self.value:g}"


class EvidenceQuote(models.Model):
    """A quote supporting a review, anchored to a turn and a character span of `Turn.text` when known.

    Spans count Unicode code points, end exclusive. Imported judge quotes that cannot be found
    verbatim in the transcript are kept unanchored (turn_index NULL).
    """

    revision = models.ForeignKey(ReviewRevision, on_delete=models.CASCADE, related_name="evidence")
    metric_version = models.ForeignKey(MetricVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    turn_index = models.PositiveIntegerField(null=True, blank=True)
    start = models.PositiveIntegerField(null=True, blank=True)
    end = models.PositiveIntegerField(null=True, blank=True)
    quote = models.TextField()
    note = models.TextField(blank=True)
    source_field = models.CharField(max_length=80, blank=True, help_text="For imported reviews: the field it came from.")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["revision", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(turn_index__isnull=True, start__isnull=True, end__isnull=True)
                | Q(turn_index__isnull=False, start__isnull=False, end__gt=models.F("start")),
                name="evidence_span_complete"),
        ]


class Assignment(models.Model):
    """A review slot of an interview: open, claimed (with expiry), assigned by a curator, or filled.

    Claims take a slot with a conditional UPDATE (see services.claim_next), so two browsers racing
    for the last slot cannot both win. An expired claim is simply an open slot again.
    """

    class Kind(models.TextChoices):
        OPEN = "open", "Open"
        CLAIM = "claim", "Claimed from the queue"
        ASSIGNED = "assigned", "Assigned by a curator"

    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="review_slots")
    slot = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.OPEN)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="review_assignments")
    claimed_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Claims lapse; curator assignments do not.")
    due_at = models.DateTimeField(null=True, blank=True)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    review = models.OneToOneField(Review, null=True, blank=True, on_delete=models.SET_NULL, related_name="assignment")
    filled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["interview", "slot"]
        constraints = [
            models.UniqueConstraint(fields=["interview", "slot"], name="unique_review_slot"),
            models.UniqueConstraint(fields=["interview", "reviewer"], condition=Q(reviewer__isnull=False),
                                    name="one_slot_per_reviewer"),
            models.UniqueConstraint(fields=["reviewer"], condition=Q(kind="claim", review__isnull=True),
                                    name="one_open_claim_per_reviewer"),
        ]
        indexes = [models.Index(fields=["reviewer", "kind"]), models.Index(fields=["interview", "review"])]

    def __str__(self) -> str:
        return f"Slot {self.slot} of interview {self.interview_id}"


class ValuesSeen(models.Model):
    """A user saw reviewers' values of an interview before its reviews were public (see
    `reviews.services.values_seen`). Such a user may never take a review place on it: their review
    would not be blind. Written once per user and interview, never removed.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="values_seen")
    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="values_seen_by")
    first_seen_at = models.DateTimeField()
    where = models.CharField(max_length=120, help_text="The page that showed the values.")

    class Meta:
        ordering = ["interview", "first_seen_at"]
        constraints = [models.UniqueConstraint(fields=["user", "interview"], name="values_seen_once")]
        verbose_name_plural = "values seen"

    def __str__(self) -> str:
        return f"User {self.user_id} saw reviewers' values of interview {self.interview_id}"
