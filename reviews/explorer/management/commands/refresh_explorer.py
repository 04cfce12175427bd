from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from reviews.explorer import materialize


class Command(BaseCommand):
    help = "Rebuild the explorer's materialized aggregates now (normally the Celery job does this)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--force", action="store_true", help="Rebuild even if the inputs are unchanged")

    def handle(self, *args, force: bool, **options) -> None:
        started = time.perf_counter()
        outcome = materialize.refresh_aggregates(force=force)
        if outcome == materialize.Outcome.BUSY:
            raise CommandError("Another refresh is running; try again when it has finished.")
        self.stdout.write(f"{outcome} in {time.perf_counter() - started:.1f} s.")
