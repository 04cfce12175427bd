from django.urls import path

from reviews import views

app_name = "reviews"

urlpatterns = [
    path("review/", views.queue, name="queue"),
    path("review/claim/", views.claim, name="claim"),
    path("review/apply/", views.apply, name="apply"),
    path("review/profile/", views.profile, name="profile"),
    path("review/interviews/<int:pk>/", views.workspace, name="workspace"),
    path("review/interviews/<int:pk>/discard/", views.discard, name="discard"),
    path("review/places/<int:pk>/release/", views.release, name="release"),
    path("interviews/<int:pk>/reviews/", views.interview_reviews, name="interview_reviews"),
    path("reviews/<int:pk>/", views.review_detail, name="review_detail"),
    path("metrics/", views.metric_list, name="metric_list"),
    path("metrics/new/", views.metric_new, name="metric_new"),
    path("metrics/<slug:slug>/", views.metric_detail, name="metric_detail"),
    path("metrics/<slug:slug>/propose/", views.metric_propose_version, name="metric_propose_version"),
    path("metrics/<slug:slug>/v<int:number>/adopt/", views.metric_version_action, {"action": "adopt"},
         name="metric_adopt"),
    path("metrics/<slug:slug>/v<int:number>/retire/", views.metric_version_action, {"action": "retire"},
         name="metric_retire"),
    path("rubrics/", views.rubric_list, name="rubric_list"),
    path("rubrics/<slug:slug>/", views.rubric_detail, name="rubric_detail"),
    path("curation/reviewers/", views.applications, name="applications"),
    path("curation/reviewers/<int:pk>/decide/", views.decide, name="decide"),
    path("curation/interviews/<int:pk>/review/", views.curate_interview, name="curate_interview"),
    path("curation/studies/<slug:slug>/review/", views.study_review, name="study_review"),
]
