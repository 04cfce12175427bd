from django.urls import path

from reviews.explorer import views

app_name = "explorer"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("metrics/<slug:slug>/", views.metric, name="metric"),
    path("coverage/", views.coverage, name="coverage"),
    path("agreement/", views.agreement, name="agreement"),
    path("interviews/", views.interviews, name="interviews"),
    path("data/", views.data, name="data"),
    path("data/new/", views.request_release, name="request_release"),
    path("data/<str:version>/", views.release_detail, name="release"),
    path("data/<str:version>/<str:name>", views.release_file, name="release_file"),
]
