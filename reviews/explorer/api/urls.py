from django.urls import path

from reviews.explorer.api import views

urlpatterns = [
    path("patterns/overview/", views.OverviewView.as_view(), name="patterns-overview"),
    path("patterns/metrics/<slug:slug>/", views.MetricView.as_view(), name="patterns-metric"),
    path("patterns/coverage/", views.CoverageView.as_view(), name="patterns-coverage"),
    path("patterns/agreement/", views.AgreementView.as_view(), name="patterns-agreement"),
    path("patterns/interviews/", views.InterviewsView.as_view(), name="patterns-interviews"),
    path("patterns/options/", views.OptionsView.as_view(), name="patterns-options"),
    path("patterns/releases/", views.ReleasesView.as_view(), name="patterns-releases"),
]
