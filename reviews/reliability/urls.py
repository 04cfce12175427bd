from django.urls import path

from reviews.reliability import views

app_name = "reliability"

urlpatterns = [
    path("agreement/", views.agreement, name="agreement"),
    path("agreement/results/<int:pk>/", views.result_detail, name="result"),
    path("agreement/adjudication/", views.adjudication, name="adjudication"),
]
