from django.urls import path
from rest_framework.routers import SimpleRouter

from reviews.api import views

router = SimpleRouter()
router.register("metrics", views.MetricViewSet, basename="metric")
router.register("rubrics", views.RubricViewSet, basename="rubric")
router.register("reviewer-applications", views.ApplicationViewSet, basename="reviewer-application")
router.register("reviews", views.ReviewViewSet, basename="review")
router.register("judges", views.JudgeViewSet, basename="judge")

urlpatterns = [
    path("studies/<slug:slug>/review-config/", views.StudyReviewConfigView.as_view(), name="study-review-config"),
    path("queue/", views.QueueView.as_view(), name="review-queue"),
    path("queue/claim/", views.ClaimView.as_view(), name="review-claim"),
    path("queue/<int:pk>/release/", views.ReleaseView.as_view(), name="review-release"),
    path("assignments/", views.AssignView.as_view(), name="review-assign"),
    path("interviews/<int:pk>/review/", views.OwnReviewView.as_view(), name="own-review"),
    path("interviews/<int:pk>/review/submit/", views.SubmitReviewView.as_view(), name="own-review-submit"),
    path("interviews/<int:pk>/reviews/", views.InterviewReviewsView.as_view(), name="interview-reviews"),
    path("interviews/<int:pk>/source-scores/", views.InterviewSourceScoresView.as_view(),
         name="interview-source-scores"),
    *router.urls,
]
