from django.apps import AppConfig


class ReliabilityConfig(AppConfig):
    """Agreement between reviewers: stored Krippendorff's alpha per metric version and slice."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "reviews.reliability"
    label = "reliability"
    verbose_name = "Reviewer agreement"

    def ready(self) -> None:
        from reviews.reliability import receivers  # noqa: F401  (connects the receivers)
