from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reviews"
    verbose_name = "Peer review"

    def ready(self) -> None:
        from commons.redaction import install_place_rule
        from commons.rules import install_source_scores_rule
        from reviews.selectors import can_see_source_scores, place_interviews

        install_source_scores_rule(can_see_source_scores)
        install_place_rule(place_interviews)
