from rest_framework.routers import SimpleRouter

from reviews.reliability.api import views

router = SimpleRouter()
router.register("agreement", views.AgreementViewSet, basename="agreement")

urlpatterns = router.urls
