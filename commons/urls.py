from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from commons import study_views, views

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
    path("imports/new/", views.import_new, name="import_new"),
    path("imports/<int:pk>/", views.import_detail, name="import_detail"),
    path("account/", views.account, name="account"),
    path("account/tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("curation/users/", views.curation_users, name="curation_users"),
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
