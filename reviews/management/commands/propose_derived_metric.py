"""Propose a derived metric (or a derived version of an existing metric) as a curator; adopt it at /metrics/."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from commons.models import User
from commons.services import ServiceError
from reviews import derived, services
from reviews.models import Metric, MetricVersion


def _version(reference: str) -> MetricVersion:
    slug, _, number = reference.partition("@")
    qs = MetricVersion.objects.select_related("metric").filter(metric__slug=slug)
    found = qs.filter(number=int(number)).first() if number.isdigit() else qs.filter(status="adopted").first()
    if found is None:
        raise CommandError(f"{reference}: no such metric version (write slug@number, or slug for its adopted version).")
    return found


class Command(BaseCommand):
    help = ("Propose a derived metric version: a formula over numeric metric versions of one rubric, computed per "
            "review before aggregation (reviews/derived.py). It is proposed; a curator adopts it like any version.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug", help="The metric's slug (new, or an existing metric to give a new version)")
        parser.add_argument("--formula", required=True, choices=derived.FORMULAS)
        parser.add_argument("--input", dest="inputs", action="append", required=True,
                            help="An input version as slug@number (repeat; order matters for difference)")
        parser.add_argument("--name", required=True)
        parser.add_argument("--definition", required=True)
        parser.add_argument("--group", default="")
        parser.add_argument("--curator", required=True, help="E-mail of the curator proposing it")
        parser.add_argument("--note", default="", help="Change note")

    def handle(self, *args, slug: str, formula: str, inputs: list[str], name: str, definition: str, group: str,
               curator: str, note: str, **options) -> None:
        actor = User.objects.filter(email__iexact=curator).first()
        if actor is None:
            raise CommandError(f"{curator}: no such user.")
        spec = services.DerivedSpec(name=name, definition=definition, formula=formula,
                                    inputs=[_version(i) for i in inputs], group=group)
        metric = Metric.objects.filter(slug=slug).first()
        try:
            if metric is None:
                version = services.propose_derived_metric(actor=actor, slug=slug, spec=spec, change_note=note)
            else:
                version = services.propose_derived_version(actor=actor, metric=metric, spec=spec, change_note=note)
        except ServiceError as err:
            raise CommandError(f"{err.field}: {err.message}") from None
        self.stdout.write(self.style.SUCCESS(
            f"Proposed {version.metric.slug} v{version.number}: {version.derived_description()}. "
            f"Adopt it at {version.metric.get_absolute_url()}#v{version.number}."))
