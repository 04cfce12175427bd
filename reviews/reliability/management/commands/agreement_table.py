from __future__ import annotations

from django.core.management.base import BaseCommand

from reviews.reliability.models import AgreementResult, Audience


def cell(result: AgreementResult | None) -> str:
    if result is None:
        return "—"
    if result.alpha is None:
        return f"undefined ({result.undefined_reason}; n = {result.n_units})"
    interval = "" if result.ci_low is None else f" [{result.ci_low:.2f}, {result.ci_high:.2f}]"
    return f"{result.alpha:.3f}{interval} (n = {result.n_units}, {result.n_pairable_values} values)"


class Command(BaseCommand):
    help = ("Print stored agreement as a Markdown table: per metric, the judges against each other and each "
            "judge's replicates against each other (for the README). Run recompute_agreement first.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--audience", default=Audience.INTERNAL, choices=Audience.values)
        parser.add_argument("--numeric", action="store_true", help="Only interval and ratio metrics")

    def handle(self, *args, audience: str, numeric: bool, **options) -> None:
        results = AgreementResult.objects.filter(audience=audience).select_related("metric_version__metric")
        if numeric:
            results = results.filter(metric_version__scale_type__in=["interval", "ratio"])
        rows: dict[int, dict[tuple[str, str], AgreementResult]] = {}
        versions = {}
        replicate_columns: dict[str, str] = {}
        for result in results.filter(slice_type__in=["reviewer_kind", "judge_replicates"]):
            if result.slice_type == "reviewer_kind" and result.slice_value != "judge":
                continue
            rows.setdefault(result.metric_version_id, {})[(result.slice_type, result.slice_value)] = result
            versions[result.metric_version_id] = result.metric_version
            if result.slice_type == "judge_replicates":
                replicate_columns[result.slice_value] = result.slice_label.removesuffix(": its replicates")
        columns = [("reviewer_kind", "judge", "Judges vs each other (replicates pooled by level)")]
        columns += [("judge_replicates", value, f"Replicates of {label}")
                    for value, label in sorted(replicate_columns.items(), key=lambda kv: kv[1])]
        write = self.stdout.write
        write("| Metric | Level | " + " | ".join(label for _, _, label in columns) + " |")
        write("|---|---|" + "---|" * len(columns))
        for pk, version in sorted(versions.items(), key=lambda kv: kv[1].metric.slug):
            cells = [cell(rows[pk].get((t, v))) for t, v, _ in columns]
            write(f"| {version.name} (`{version.metric.slug}`) | {version.scale_type} | " + " | ".join(cells) + " |")
        write("")
        write("α: Krippendorff's alpha at the metric's level; [95% percentile bootstrap interval over interviews, "
              "1,000 resamples]; n: interviews with two or more values, and the pairable values in them.")
