from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from commons.models import ApiToken, AuditEvent, ImportJob, Interview, Interviewer, Study, TargetModel, User


@admin.register(User)
class CommonsUserAdmin(UserAdmin):
    list_display = ("email", "display_name", "is_reviewer", "is_curator", "is_staff")
    # UserAdmin.fieldsets is a tuple; the stub types the attribute as any ModelAdmin's (a list, or None).
    fieldsets = UserAdmin.fieldsets + (("Research Commons", {"fields": ("display_name", "affiliation", "is_reviewer", "is_curator")}),)  # type: ignore[operator]


@admin.register(TargetModel)
class TargetModelAdmin(admin.ModelAdmin):
    list_display = ("name", "provider", "api_id", "family", "release_date", "retired")
    search_fields = ("name", "api_id")


@admin.register(Interviewer)
class InterviewerAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "stance")


@admin.register(Study)
class StudyAdmin(admin.ModelAdmin):
    list_display = ("title", "slug")
    prepopulated_fields = {"slug": ("title",)}


@admin.register(Interview)
class InterviewAdmin(admin.ModelAdmin):
    list_display = ("id", "title", "target_model", "interviewer", "status", "visibility", "contributor")
    list_filter = ("status", "visibility", "source_format")
    raw_id_fields = ("contributor", "import_job")
    exclude = ("original",)


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ("id", "filename", "owner", "status", "accepted", "duplicates", "rejected")
    exclude = ("upload",)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "revoked_at")
    readonly_fields = ("key_hash",)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "actor", "verb", "target_type", "target_id")
    list_filter = ("verb",)

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
