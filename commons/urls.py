from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from commons import audit_views, study_views, views
from commons.curators import admin_has_permission, admin_login
from commons.ratelimits import AdminLoginThrottle, rate_limited

# The admin signs in through allauth (its login limits and second factor), and /admin/login/ itself is
# limited per client address: no password form that skips either.
# Staff meet the curators' second-factor rule (commons/curators.py): the admin edits roles too.
if not getattr(admin.site, "secured_by_commons", False):  # once, even if this module is imported again
    # Wrapping the one site's bound methods is the point here, so the method-assign checks do not apply.
    admin.site.login = rate_limited(AdminLoginThrottle, "admin sign-in attempts")(  # type: ignore[method-assign]
        admin_login(secure_admin_login(admin.site.login)))
    admin.site.has_permission = admin_has_permission(admin.site.has_permission)  # type: ignore[method-assign]
    setattr(admin.site, "secured_by_commons", True)

urlpatterns = [
    path("favicon.ico", RedirectView.as_view(url=settings.STATIC_URL + "favicon.svg", permanent=True)),
    path("", views.home, name="home"),
    path("interviews/", views.interview_list, name="interview_list"),
    path("explore/", include("reviews.explorer.urls")),
    path("interviews/new/", views.interview_submit, name="interview_submit"),
    path("interviews/mine/", views.my_interviews, name="my_interviews"),
    path("interviews/formats/", views.formats_help, name="formats_help"),
    path("interviews/<int:pk>/", views.interview_detail, name="interview_detail"),
    path("interviews/<int:pk>/turns/<int:index>/text/", views.interview_turn_text, name="interview_turn_text"),
    path("", include("reviews.interview_urls")),  # blind-rule pages on interview URLs, names un-namespaced
    path("interviews/<int:pk>/submit/", views.interview_submit_draft, name="interview_submit_draft"),
    path("interviews/<int:pk>/withdraw/", views.interview_withdraw, name="interview_withdraw"),
    path("interviews/<int:pk>/redact/", views.interview_redact, name="interview_redact"),
    path("interviews/<int:pk>/redactions/<int:redaction_id>/lift/", views.interview_unredact,
         name="interview_unredact"),
    path("imports/new/", views.import_new, name="import_new"),
    path("imports/<int:pk>/", views.import_detail, name="import_detail"),
    path("account/", views.account, name="account"),
    path("account/name/", views.account_name, name="account_name"),
    path("account/tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("curation/users/", views.curation_users, name="curation_users"),
    path("curation/audit/", audit_views.curation_audit, name="curation_audit"),
    path("studies/<slug:slug>/settings/", study_views.study_settings, name="study_settings"),
    path("accounts/", include("allauth.urls")),
    path("api/v1/", include("commons.api.urls")),
    path("api/v1/", include("reviews.reliability.api.urls")),
    path("api/v1/", include("reviews.explorer.api.urls")),
    path("api/v1/", include("reviews.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api_docs"),
    path("admin/", admin.site.urls),
    path("", include("reviews.reliability.urls")),
    path("", include("reviews.urls")),
]
