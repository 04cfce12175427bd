from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from reviews.explorer import materialize
from reviews.synthetic import corpus as synthetic


class Command(BaseCommand):
    help = ("Add a synthetic, clearly labelled corpus (models, interviewers, tone × disclosure depth, topics, "
            "three reviews per interview with disagreement and missing values) for demos and benchmarks.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--interviews", type=int, required=True)
        parser.add_argument("--reviews-per-interview", type=int, default=3)
        parser.add_argument("--judge-share", type=float, default=1 / 3,
                            help="Share of each interview's reviews made by a model judge (default one in three)")
        parser.add_argument("--metrics", type=int, default=8, help="How many starter metrics are scored (1-12)")
        parser.add_argument("--reviewers", type=int, default=60)
        parser.add_argument("--seed", type=int, default=20251123)
        parser.add_argument("--no-refresh", action="store_true", help="Do not materialize the explorer afterwards")

    def handle(self, *args, interviews: int, reviews_per_interview: int, judge_share: float, metrics: int,
               reviewers: int, seed: int, no_refresh: bool, **options) -> None:
        if interviews < 1 or not 1 <= reviews_per_interview <= 10 or not 1 <= metrics <= len(synthetic.METRICS):
            raise CommandError("Give --interviews ≥ 1, --reviews-per-interview 1-10 and --metrics 1-12.")
        if not 0 <= judge_share <= 1 or not 2 <= reviewers <= 10000:
            raise CommandError("Give --judge-share between 0 and 1 and --reviewers between 2 and 10000.")
        try:
            summary = synthetic.generate(interviews=interviews, reviews_per_interview=reviews_per_interview,
                                         judge_share=judge_share, metrics=metrics, reviewers=reviewers, seed=seed)
        except ValueError as err:
            raise CommandError(str(err)) from None
        self.stdout.write(f"Added {summary.interviews} interviews, {summary.turns} turns, {summary.reviews} reviews, "
                          f"{summary.scores} scores in {summary.seconds:.1f} s.")
        if not no_refresh:
            outcome = materialize.refresh_aggregates(force=True)
            self.stdout.write(f"Explorer aggregates: {outcome}.")
