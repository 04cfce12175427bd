from django.apps import AppConfig


class ExplorerConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reviews.explorer"
    label = "explorer"
    verbose_name = "Pattern explorer"

    def ready(self) -> None:
        from reviews.explorer import receivers  # noqa: F401  (connects the refresh triggers)
