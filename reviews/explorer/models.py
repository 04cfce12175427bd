"""Materialized aggregates behind the public pattern explorer, and versioned dataset releases.

Everything here except releases is derived data: rebuilt from interviews and reviews by
`services.refresh_aggregates`, never edited by hand. Ids of other apps' rows are plain integers
(no foreign-key constraints) so a rebuild can delete and bulk-insert millions of rows without constraint
checks; reads always join them with the live, visibility-scoped interview set.
"""

from __future__ import annotations

from django.db import models


class Scope(models.TextChoices):
    """Which reviews a consensus is taken over."""

    ALL = "all", "Human reviewers and model judges"
    HUMAN = "human", "Human reviewers only"
    JUDGE = "judge", "Model judges only"


class InterviewConsensus(models.Model):
    """One interview's consensus score on one metric version, over the raters of one scope.

    A rater is a human reviewer, or a model judge with one prompt version (its replicates are
    averaged first). ``value`` is the mean over raters of each rater's value; NULL when every
    rater said "cannot judge" / not reached (the row still records that it was assessed).
    Categorical (ordinal) scores count as their position on the scale, lowest = 0.
    """

    interview = models.ForeignKey("commons.Interview", on_delete=models.DO_NOTHING, db_constraint=False,
                                  db_index=False, related_name="+")
    metric_version_id = models.BigIntegerField()
    scope = models.CharField(max_length=6, choices=Scope.choices)
    value = models.FloatField(null=True)
    raters = models.PositiveIntegerField(help_text="Raters who gave a value.")
    assessed_by = models.PositiveIntegerField(help_text="Raters who scored this metric, value or missing.")
    target_model_id = models.BigIntegerField()
    interviewer_id = models.BigIntegerField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["metric_version_id", "scope", "interview"],
                                               name="explorer_one_consensus_per_scope")]
        indexes = [
            models.Index(fields=["scope", "metric_version_id", "target_model_id"], name="explorer_cons_cell"),
            models.Index(fields=["interview"], name="explorer_cons_interview"),
        ]

    def __str__(self) -> str:
        return f"interview {self.interview_id} · version {self.metric_version_id} · {self.scope}: {self.value}"


class Snapshot(models.Model):
    """A page's numbers for the unfiltered view, computed by the refresh job.

    ``public_fingerprint`` identifies the set of public interviews they were computed from; a
    reader uses a snapshot only while that set is unchanged (so a withdrawn interview never
    lingers in a number), and recomputes from the consensus table otherwise.
    """

    key = models.CharField(max_length=200, unique=True)
    payload = models.JSONField()
    public_fingerprint = models.CharField(max_length=64)
    inputs_fingerprint = models.CharField(max_length=64)
    computed_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.key


class RefreshState(models.Model):
    """The single row describing the last materialization (a claim makes concurrent refreshes no-ops)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    inputs_fingerprint = models.CharField(max_length=64, blank=True)
    public_fingerprint = models.CharField(max_length=64, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    running_since = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    consensus_rows = models.PositiveBigIntegerField(default=0)


class DatasetRelease(models.Model):
    """A versioned download of the public corpus, built in the background."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        BUILDING = "building", "Building"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    version = models.CharField(max_length=40, unique=True, help_text="e.g. 2026.11.23-1")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    requested_by = models.ForeignKey("commons.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    counts = models.JSONField(default=dict, blank=True, help_text="Rows per table.")
    citation = models.TextField(blank=True)
    contains_withdrawn_since = models.DateTimeField(
        null=True, blank=True, help_text="When an interview in this release was first withdrawn: from then on its "
                                         "files are not served (410). The release is never rebuilt in place.")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Release {self.version}"

    @property
    def contains_withdrawn(self) -> bool:
        return self.contains_withdrawn_since is not None


class ReleaseInterview(models.Model):
    """An interview a release contains (its interviews table), so a later withdrawal finds every release holding it.

    The interview id is a plain integer like the other derived tables: the row records what was published.
    """

    release = models.ForeignKey(DatasetRelease, on_delete=models.CASCADE, related_name="interviews")
    interview_id = models.BigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["release", "interview_id"], name="explorer_release_interview_once")]
        indexes = [models.Index(fields=["interview_id"], name="explorer_release_by_interview")]


class ReleaseFile(models.Model):
    """One file of a release: a table in one format, or the zip of everything. Stored in MEDIA_ROOT."""

    release = models.ForeignKey(DatasetRelease, on_delete=models.CASCADE, related_name="files")
    name = models.CharField(max_length=120)
    table = models.CharField(max_length=40, blank=True)
    format = models.CharField(max_length=10)
    path = models.CharField(max_length=500, help_text="Relative to MEDIA_ROOT.")
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    rows = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["release", "table", "format"]
        constraints = [models.UniqueConstraint(fields=["release", "name"], name="explorer_unique_release_file")]

    def __str__(self) -> str:
        return self.name
