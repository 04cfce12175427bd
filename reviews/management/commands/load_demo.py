from django.core.management.base import BaseCommand

from reviews.synthetic.demo_interviews import (
    DEMO_CURATOR_EMAIL,
    DEMO_CURATOR_TOTP_SECRET,
    DEMO_PASSWORD,
    DEMO_USERS,
    load_demo,
)


class Command(BaseCommand):
    help = "Load the synthetic demo corpus (clearly labelled, not real data). Running it again adds nothing."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--interviews", type=int, default=72)

    def handle(self, *args, interviews: int, **options) -> None:
        counts = load_demo(interviews=interviews)
        from reviews.synthetic.demo_reviews import load_demo_reviews

        review_counts = load_demo_reviews()
        release = self._first_release()
        self.stdout.write(self.style.SUCCESS(
            f"Demo corpus ready ({counts['interviews']} new interviews). Synthetic data, for trying the site only."))
        self.stdout.write(f"Demo reviews: {review_counts['reviews']} new synthetic human reviews, "
                          f"{review_counts['judge_reviews']} synthetic judge reviews.")
        if release is not None:
            self.stdout.write(f"Demo data release {release.version}: {release.get_status_display().lower()} "
                              f"(download it from /explore/data/{release.version}/).")
        self.stdout.write("Demo accounts (password " + DEMO_PASSWORD + "): " + ", ".join(e for e, _, _ in DEMO_USERS))
        self.stdout.write(
            f"{DEMO_CURATOR_EMAIL} signs in with a second factor (curator pages need one): add the authenticator "
            f"secret {DEMO_CURATOR_TOTP_SECRET} to an authenticator app, or run "
            f"`.venv/bin/python -m commons.totp {DEMO_CURATOR_TOTP_SECRET}` for the current code.")

    @staticmethod
    def _first_release():  # noqa: ANN205
        """A fresh demo has a published data release to download; a demo that has one is left alone. It is
        built in the background like any release (at once where tasks run in-process, as under `make run`)."""
        from reviews.explorer.models import DatasetRelease
        from reviews.explorer.releases import request_release

        if DatasetRelease.objects.exists():
            return None
        from commons.broker import wait_for_in_process_jobs

        release = request_release(requested_by=None, note="The synthetic demo corpus (not real data), built by load_demo.")
        wait_for_in_process_jobs()  # embedded default: built in a thread of this process; report it once built
        release.refresh_from_db()
        return release
