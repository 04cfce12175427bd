from django.contrib import admin

from reviews.reliability.models import AgreementResult, RecomputeRequest, UnitDisagreement
from reviews.services.values_seen import record_values_seen


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
    """Per-interview disagreement, values included, for interviews in review too: whoever is shown them is recorded
    (`reviews.services.values_seen`) and may no longer take a review place on those interviews."""

    list_display = ["metric_version", "interview", "n_values", "relative_disagreement", "computed_at"]
    ordering = ["-relative_disagreement"]

    def changelist_view(self, request, extra_context=None):  # noqa: ANN001, ANN201 - Django's signature
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:  # the rows shown; their disagreement is computed from the values
            record_values_seen(user=request.user, interview_ids=[r.interview_id for r in changelist.result_list],
                               where="admin: unit disagreement list")
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):  # noqa: ANN001, ANN201
        response = super().change_view(request, object_id, form_url, extra_context)
        shown = getattr(response, "context_data", {}).get("original")
        if shown is not None:
            record_values_seen(user=request.user, interview_ids=[shown.interview_id],
                               where="admin: unit disagreement values")
        return response


@admin.register(RecomputeRequest)
class RecomputeRequestAdmin(ReadOnly):
    list_display = ["metric_version", "requests", "completed_requests", "enqueued_at", "runs", "written_run",
                    "last_finished_at"]
