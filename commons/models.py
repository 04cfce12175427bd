"""Interviews, the models and interviewers they involve, studies, imports and the audit trail."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.urls import reverse

from commons import curator_role
from commons.names import public_name


class User(AbstractUser):
    """A person. Every verified user may contribute; review and curation are granted roles."""

    email = models.EmailField("e-mail address", unique=True)
    display_name = models.CharField(max_length=120, blank=True,
                                    help_text="How you appear on public pages, reviews and releases.")
    use_pseudonym = models.BooleanField(default=False,
                                        help_text="Appear under a stable pseudonym instead of the display name.")
    affiliation = models.CharField(max_length=200, blank=True)
    is_reviewer = models.BooleanField(default=False)
    is_curator = models.BooleanField(default=False)

    def __str__(self) -> str:
        # never the e-mail (nor the username allauth derives from it): str(user) may land on any page
        return public_name(self)

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A curator's role may be set aside for one request (commons/curators.py: no second factor yet); the
        # object in hand then says is_curator=False, which must never reach the database.
        was_withheld = curator_role.withheld(self)
        curator_role.restore(self)
        try:
            super().save(*args, **kwargs)
        finally:
            if was_withheld:
                curator_role.withhold(self)

    def refresh_from_db(self, *args: Any, **kwargs: Any) -> None:
        # Re-reading the row must not hand a withheld role back for the rest of the request.
        was_withheld = curator_role.withheld(self)
        super().refresh_from_db(*args, **kwargs)
        if was_withheld:
            curator_role.withhold(self)

    @property
    def is_researcher(self) -> bool:
        """Researchers see interviews whose visibility is 'researchers only'."""
        return self.is_reviewer or self.is_curator


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 is stored; the key is shown once at creation. A read-only
    token may only read (GET, HEAD, OPTIONS): a script that only downloads cannot change anything if it leaks."""

    class Scope(models.TextChoices):
        READ_ONLY = "read", "read-only"
        READ_WRITE = "write", "read and write"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    scope = models.CharField(max_length=5, choices=Scope.choices, default=Scope.READ_WRITE)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class TargetModel(models.Model):
    """A language model that is interviewed."""

    name = models.CharField(max_length=200, unique=True)
    provider = models.CharField(max_length=100, blank=True)
    api_id = models.CharField("API identifier", max_length=200, blank=True, db_index=True)
    family = models.CharField(max_length=100, blank=True)
    release_date = models.DateField(null=True, blank=True)
    retired = models.BooleanField(default=False)
    retirement_date = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["release_date", "name"]

    def __str__(self) -> str:
        return self.name


class Interviewer(models.Model):
    """Who asks the questions: a person or a model, with declared stance/priors."""

    class Kind(models.TextChoices):
        HUMAN = "human", "Human"
        MODEL = "model", "Model"

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.MODEL)
    stance = models.CharField(max_length=200, blank=True, help_text="Declared stance or priors, e.g. sympathetic, clinical, skeptical.")
    description = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["name", "kind", "stance"], name="unique_interviewer")]

    def __str__(self) -> str:
        return f"{self.name} ({self.stance})" if self.stance else self.name


class Study(models.Model):
    """A research question with a protocol and the factors (conditions) its interviews vary."""

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    question = models.TextField(blank=True)
    protocol = models.TextField(blank=True)
    factors = models.JSONField(default=dict, blank=True, help_text='Factor → levels, e.g. {"tone": ["neutral", "warm"]}.')
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    judge_scores_public = models.BooleanField(
        default=False,
        help_text="Model-judge scores of this study's interviews are published data (e.g. an imported corpus): "
                  "shown before human review ends. Off: they are blind like human reviews until an interview is reviewed.")

    class Meta:
        ordering = ["title"]
        verbose_name_plural = "studies"

    def __str__(self) -> str:
        return self.title


class Licence(models.TextChoices):
    CC_BY_4 = "CC-BY-4.0", "CC BY 4.0"
    CC_BY_SA_4 = "CC-BY-SA-4.0", "CC BY-SA 4.0"
    CC_BY_NC_4 = "CC-BY-NC-4.0", "CC BY-NC 4.0"
    CC0 = "CC0-1.0", "CC0 1.0 (public domain)"
    MIT = "MIT", "MIT"
    RESTRICTED = "restricted", "All rights reserved (view only)"


class Interview(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        IN_REVIEW = "in_review", "In review"
        REVIEWED = "reviewed", "Reviewed"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class Visibility(models.TextChoices):
        PUBLIC = "public", "Public"
        UNLISTED = "unlisted", "Unlisted (anyone with the link)"
        RESEARCHERS = "researchers", "Researchers only"
        PRIVATE = "private", "Private"

    title = models.CharField(max_length=300, blank=True)
    study = models.ForeignKey(Study, null=True, blank=True, on_delete=models.PROTECT, related_name="interviews")
    target_model = models.ForeignKey(TargetModel, on_delete=models.PROTECT, related_name="interviews")
    interviewer = models.ForeignKey(Interviewer, null=True, blank=True, on_delete=models.PROTECT, related_name="interviews")
    conditions = models.JSONField(default=dict, blank=True)
    topics = models.JSONField(default=list, blank=True)
    conducted_on = models.DateField(null=True, blank=True)
    sampling = models.JSONField(default=dict, blank=True)
    licence = models.CharField(max_length=20, choices=Licence.choices, default=Licence.CC_BY_4)
    contributor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="interviews")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT, db_index=True)
    visibility = models.CharField(max_length=12, choices=Visibility.choices, default=Visibility.PUBLIC, db_index=True)
    source_format = models.CharField(max_length=30)
    source_id = models.CharField(max_length=300, blank=True)
    source_filename = models.CharField(max_length=500, blank=True)
    source_scores = models.JSONField(default=dict, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    original = models.TextField(help_text="The uploaded transcript, verbatim.")
    content_hash = models.CharField(max_length=64, unique=True)
    import_job = models.ForeignKey("ImportJob", null=True, blank=True, on_delete=models.SET_NULL, related_name="interviews")
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawal_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "visibility", "-created_at"]),
                   # the list's order: its first page and every cursor page are an index scan, not a sort of all
                   models.Index(fields=["-created_at", "-id"], name="interview_listing_order")]

    def __str__(self) -> str:
        return self.title or f"Interview {self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("interview_detail", args=[self.pk])

    @property
    def is_withdrawn(self) -> bool:
        return self.status == self.Status.WITHDRAWN


class Turn(models.Model):
    class Role(models.TextChoices):
        SYSTEM = "system", "System"
        INTERVIEWER = "interviewer", "Interviewer"
        TARGET = "target", "Target model"
        TOOL = "tool", "Tool"

    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="turns")
    index = models.PositiveIntegerField()
    role = models.CharField(max_length=12, choices=Role.choices)
    participant = models.CharField(max_length=200, blank=True)
    blocks = models.JSONField(default=list)
    text = models.TextField(blank=True, help_text="Plain text of the turn's text blocks, for search and evidence spans.")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="branches",
                               help_text="The turn this one follows when the source branches; empty means the previous turn.")
    starts_over = models.BooleanField(default=False, help_text="The conversation restarts here with no predecessor.")

    class Meta:
        ordering = ["interview", "index"]
        constraints = [models.UniqueConstraint(fields=["interview", "index"], name="unique_turn_index")]

    def __str__(self) -> str:
        return f"{self.interview_id}#{self.index} {self.role}"


class ImportJob(models.Model):
    """A bulk upload processed in the background; its report lists every item's outcome."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_jobs")
    filename = models.CharField(max_length=500)
    upload = models.BinaryField(help_text="The uploaded bytes; kept so a restarted worker can redo the job.")
    size = models.PositiveBigIntegerField(default=0)
    options = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Import {self.pk} ({self.filename})"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return int(100 * self.processed / self.total) if self.total else 0


class AuditEvent(models.Model):
    """Append-only record of privileged and state-changing actions."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    verb = models.CharField(max_length=60)
    target_type = models.CharField(max_length=60)
    target_id = models.CharField(max_length=60)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.verb} {self.target_type}:{self.target_id}"


class Redaction(models.Model):
    """A turn (or a turn and every turn before it) hidden from the public, with a reason. The turn itself is
    never changed: the text stays for the researchers with access (commons.redaction) and for recovery by
    curators; removing the redaction (a curator's action) is the un-redaction."""

    class By(models.TextChoices):
        CONTRIBUTOR = "contributor", "the contributor"
        CURATOR = "curator", "a curator"

    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="redactions")
    turn_index = models.PositiveIntegerField()
    and_earlier = models.BooleanField(default=False, help_text="Also every turn before this one.")
    reason = models.CharField(max_length=500)
    by = models.CharField(max_length=12, choices=By.choices)
    redacted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["interview", "turn_index", "id"]
        constraints = [models.UniqueConstraint(fields=["interview", "turn_index", "and_earlier"],
                                               name="unique_redaction")]

    def __str__(self) -> str:
        return f"{self.interview_id}#{self.turn_index}{' and earlier' if self.and_earlier else ''} redacted"

    def covers(self, index: int) -> bool:
        return index == self.turn_index or (self.and_earlier and index < self.turn_index)
