from django.apps import AppConfig


class CommonsConfig(AppConfig):
    name = "commons"
    verbose_name = "Research Commons"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Make the Celery app the current one before any task is sent from a web process.
        from commons import celery  # noqa: F401
        from commons.api import schema  # noqa: F401 - registers the token scheme with drf-spectacular
        from allauth.mfa.signals import authenticator_added

        from commons.curators import record_setup_as_passed

        authenticator_added.connect(record_setup_as_passed, dispatch_uid="commons.curators.record_setup_as_passed")

        from django.db.models.signals import post_migrate

        from commons.sites import name_the_site

        # After the sites app made (or left) its row, every migrate renames it to this site.
        post_migrate.connect(name_the_site, sender=self, dispatch_uid="commons.sites.name_the_site")
