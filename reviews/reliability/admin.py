from django.contrib import admin

from reviews.reliability.models import AgreementResult, RecomputeRequest, UnitDisagreement


class ReadOnly(admin.ModelAdmin):
    """Derived data: rebuilt by `manage.py recompute_agreement`, never edited by hand."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AgreementResult)
class AgreementResultAdmin(ReadOnly):
    list_display = ["metric_version", "audience", "slice_type", "slice_label", "alpha", "undefined_reason", "n_units",
                    "computed_at"]
    list_filter = ["audience", "slice_type", "level"]
    search_fields = ["metric_version__metric__slug", "slice_label"]


@admin.register(UnitDisagreement)
class UnitDisagreementAdmin(ReadOnly):
    list_display = ["metric_version", "interview", "n_values", "relative_disagreement", "computed_at"]
    ordering = ["-relative_disagreement"]


@admin.register(RecomputeRequest)
class RecomputeRequestAdmin(ReadOnly):
    list_display = ["metric_version", "requests", "completed_requests", "enqueued_at", "runs", "written_run",
                    "last_finished_at"]
