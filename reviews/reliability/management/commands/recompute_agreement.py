from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from reviews.models import MetricVersion
from reviews.reliability import selectors, services


class Command(BaseCommand):
    help = ("Recompute Krippendorff's alpha for every metric version and slice, in this process, with a progress "
            "bar. Results whose inputs are unchanged are left as they are (use --force to rewrite them).")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--metric", action="append", default=[], metavar="SLUG",
                            help="Only this metric's versions (repeatable)")
        parser.add_argument("--pending", action="store_true",
                            help="Only metric versions with requests not yet computed (e.g. after a broker outage)")
        parser.add_argument("--enqueue", action="store_true",
                            help="Send the work to the Celery workers instead of computing here")
        parser.add_argument("--force", action="store_true", help="Rewrite results even when their inputs are unchanged")

    def handle(self, *args, metric: list[str], pending: bool, enqueue: bool, force: bool, **options) -> None:
        chosen = selectors.metric_versions_with_scores()
        if metric:
            unknown = set(metric) - set(MetricVersion.objects.filter(metric__slug__in=metric)
                                        .values_list("metric__slug", flat=True))
            if unknown:
                raise CommandError(f"No such metric: {', '.join(sorted(unknown))}.")
            chosen = MetricVersion.objects.filter(metric__slug__in=metric).select_related("metric").order_by(
                "metric__slug", "number")
        if pending:
            chosen = chosen.filter(pk__in=services.pending_metric_version_ids())
        versions = list(chosen)
        if not versions:
            self.stdout.write("Nothing to recompute.")
            return
        if enqueue:
            services.schedule_recompute(v.pk for v in versions)
            self.stdout.write(f"Enqueued the recompute of {len(versions)} metric version(s).")
            return
        started = time.monotonic()
        totals = {"slices": 0, "written": 0, "removed": 0, "unchanged": 0}
        for done, version in enumerate(versions, start=1):
            self._progress(done - 1, len(versions), f"{version.metric.slug} v{version.number}")
            outcome = services.recompute_metric_version(metric_version_id=version.pk, force=force)
            if outcome is None:
                continue
            for key in totals:
                totals[key] += getattr(outcome, key)
            self._progress(done, len(versions), f"{version.metric.slug} v{version.number}: {outcome.slices} slices, "
                           f"{outcome.written} written, {outcome.unchanged} unchanged ({outcome.seconds:.1f} s)",
                           newline=True)
        self.stdout.write(
            f"Done in {time.monotonic() - started:.1f} s: {len(versions)} metric version(s), {totals['slices']} "
            f"slices, {totals['written']} written, {totals['unchanged']} unchanged, {totals['removed']} removed.")

    def _progress(self, done: int, total: int, label: str, *, newline: bool = False) -> None:
        width = 30
        filled = int(width * done / total)
        line = f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total}  {label}"
        interactive = self.stdout.isatty()
        if interactive:
            self.stdout.write("\r" + line[:120].ljust(120), ending="\n" if newline else "")
            self.stdout.flush()
        elif newline:
            self.stdout.write(line)
