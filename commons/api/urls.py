from rest_framework.routers import DefaultRouter

from commons.api import views

router = DefaultRouter()
router.register("interviews", views.InterviewViewSet, basename="interview")
router.register("models", views.TargetModelViewSet, basename="targetmodel")
router.register("interviewers", views.InterviewerViewSet, basename="interviewer")
router.register("studies", views.StudyViewSet, basename="study")
router.register("imports", views.ImportViewSet, basename="import")

urlpatterns = router.urls
