from django.apps import AppConfig


class CommonsConfig(AppConfig):
    name = "commons"
    verbose_name = "Research Commons"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from commons.api import schema  # noqa: F401 - registers the token scheme with drf-spectacular
