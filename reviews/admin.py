from django.contrib import admin

from reviews.models import (
    Assignment,
    Judge,
    Metric,
    MetricVersion,
    Review,
    ReviewerApplication,
    ReviewerProfile,
    ReviewRevision,
    Rubric,
    RubricItem,
    StudyReviewConfig,
    ValuesSeen,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Review content changes only through the services (revisions, audit trail); the admin only reads."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class VersionInline(admin.TabularInline):
    model = MetricVersion
    fields = ("number", "name", "scale_type", "status", "adopted_at", "retired_at")  # tuples type-check as plain names
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Metric)
class MetricAdmin(ReadOnlyAdmin):
    list_display = ["slug", "created_at"]
    search_fields = ["slug"]
    inlines = [VersionInline]


@admin.register(MetricVersion)
class MetricVersionAdmin(ReadOnlyAdmin):
    list_display = ["metric", "number", "name", "scale_type", "status"]
    list_filter = ["status", "scale_type"]


class RubricItemInline(admin.TabularInline):
    model = RubricItem
    fields = ("position", "version")
    readonly_fields = fields
    extra = 0


@admin.register(Rubric)
class RubricAdmin(ReadOnlyAdmin):
    list_display = ["name", "slug", "is_default"]
    inlines = [RubricItemInline]


@admin.register(StudyReviewConfig)
class StudyReviewConfigAdmin(ReadOnlyAdmin):
    list_display = ["study", "rubric", "target_reviews"]


@admin.register(ReviewerApplication)
class ReviewerApplicationAdmin(ReadOnlyAdmin):
    list_display = ["applicant", "status", "created_at", "decided_by", "decided_at"]
    list_filter = ["status"]


@admin.register(ReviewerProfile)
class ReviewerProfileAdmin(ReadOnlyAdmin):
    list_display = ["user", "affiliation"]
    search_fields = ["user__email", "user__display_name"]


@admin.register(Judge)
class JudgeAdmin(ReadOnlyAdmin):
    list_display = ["name", "model_identifier"]


class RevisionInline(admin.TabularInline):
    model = ReviewRevision
    fields = ("number", "is_draft", "is_current", "submitted_at")
    readonly_fields = fields
    extra = 0


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdmin):
    list_display = ["id", "interview", "kind", "reviewer", "judge", "replicate", "status", "submitted_at"]
    list_filter = ["kind", "status", "judge"]
    inlines = [RevisionInline]


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    list_display = ["interview", "slot", "kind", "reviewer", "expires_at", "due_at", "filled_at"]
    list_filter = ["kind"]


@admin.register(ValuesSeen)
class ValuesSeenAdmin(ReadOnlyAdmin):
    """Who was shown reviewers' values of an interview in review (and so may take no place on it)."""

    list_display = ["interview", "user", "first_seen_at", "where"]
