"""Pages on /interviews/<id>/ that the blind rule governs; included un-namespaced so names stay stable."""

from django.urls import path

from reviews import views

urlpatterns = [
    path("interviews/<int:pk>/original/", views.interview_original, name="interview_original"),
]
