from __future__ import annotations

import json
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from commons.services import ServiceError
from reviews.services import import_score_files
from reviews.services.judges import ImportReport
from reviews.still_alive_scores import ScoreFileError


class Command(BaseCommand):
    help = ("Import Still Alive judge score files (scores-*/<model>.json) and interview-adequacy files "
            "(adequacy-scores/*.json) as automated reviews of the imported sessions: one review per judge × "
            "replicate × session. Running it again adds nothing.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("paths", nargs="+", help="Score files or folders holding them")
        parser.add_argument("--judge", default="", help="Judge name, for files that do not name their judge")
        parser.add_argument("--prompt-version", default="",
                            help="Prompt/rubric version (default: from the file, else the folder name, e.g. v2.1)")
        parser.add_argument("--report", help="Write the full report as JSON to this file")
        parser.add_argument("--judge-scores-public", action="store_true",
                            help="The scores are published data (e.g. the Still Alive corpus): show them before "
                                 "human review, for every study the files score. Without it they stay blind "
                                 "until each interview is reviewed, unless the study already publishes them.")

    def handle(self, *args, paths: list[str], judge: str, prompt_version: str, report: str | None,
               judge_scores_public: bool = False, **options) -> None:
        resolved = []
        for raw in paths:
            path = Path(raw)
            if not path.exists():
                raise CommandError(f"{raw}: no such file or folder.")
            resolved.append(path)
        started = time.perf_counter()
        try:
            result = import_score_files(paths=resolved, judge_name=judge, prompt_version=prompt_version,
                                        judge_scores_public=judge_scores_public)
        except ScoreFileError as err:
            raise CommandError(str(err)) from None
        except ServiceError as err:
            raise CommandError(err.message) from None
        if not result.files:
            raise CommandError("No score files found under " + ", ".join(paths) + ".")
        data = result.as_json()
        if report:
            Path(report).write_text(json.dumps(data, indent=2, ensure_ascii=False))
        if options["verbosity"] < 1:
            return
        self._print_report(result, data)
        self.stdout.write(self.style.SUCCESS(f"Done in {time.perf_counter() - started:.1f} s."))

    def _print_report(self, result, data: dict) -> None:
        out = self.stdout.write
        out(f"Score files read: {len(result.files)}"
            + (f" (skipped: {', '.join(f'{n} {r}' for r, n in result.skipped_files.items())})" if result.skipped_files else ""))
        out("Folders (a judge is a rater with one prompt version; two rubrics are never merged):")
        for folder in result.folders:
            if folder["skipped"]:
                out(self.style.WARNING(f"  {folder['folder']}: {folder['files']} files skipped: {folder['skipped']}"))
            else:
                out(f"  {folder['folder']}: {folder['files']} files → prompt version {folder['prompt_version']} "
                    f"({folder['how']})")
        out(f"Reviews created: {result.created_total}; already present: {result.existing_total}")
        for row in data["created"]:
            out(f"  {row['judge']} · prompt {row['prompt_version']} · replicate {row['replicate']}: {row['reviews']} created")
        self._judge_scores_visibility(result)
        if result.missing:
            out(f"Missing values stored (topic not reached), by how the source wrote it: {sum(result.missing.values())}")
            for encoding, count in result.missing.most_common():
                out(f"  {count:6d}  {encoding}")
            rule = data["zero_is_not_reached"]
            out(f"Rule: {rule['rule']}")
            for source in rule["source"]:
                out(f"  {source['where']}: " + " / ".join(source["quote"].splitlines()))
        for row in result.failed_replicates:
            out(self.style.WARNING(f"Failed replicate skipped: {row['file']} replicate {row['replicate']}: {row['error'][:120]}"))
        for row in result.empty_replicates:
            out(self.style.WARNING(f"Empty replicate (no sessions scored): {row['file']} replicate {row['replicate']}"))
        if result.unmatched_sessions:
            out(self.style.WARNING(f"Sessions not found among imported interviews: {len(result.unmatched_sessions)} "
                                   "records skipped (import the sessions first with import_interviews)"))
        for row in result.rejected:
            out(self.style.ERROR(f"Rejected {row['location']}: {row.get('field', '')} {row['error']}".strip()))
        if result.readings:
            out("Interview-adequacy values, by how each was read:")
            for (slug, how), count in sorted(result.readings.items()):
                out(f"  {count:6d}  {slug}: {how}")
        if result.unknown_fields:
            out(f"Fields not imported: {', '.join(sorted(result.unknown_fields))}")
        out(f"Evidence quotes: {result.evidence} ({result.evidence_anchored} found verbatim in the transcript)")

    def _judge_scores_visibility(self, result: ImportReport) -> None:
        out = self.stdout.write
        out("Judge scores before human review (blind unless the study publishes them):")
        for row in result.studies:
            out(f"  study {row['study']} ({row['interviews']} interviews): "
                + ("public — the study publishes its judge scores" if row["judge_scores_public"]
                   else "blind until each interview is reviewed (--judge-scores-public publishes them)"))
        if result.without_study:
            out(self.style.WARNING(f"  {result.without_study} interviews in no study: blind until reviewed (import "
                                   f"the sessions with --study to publish their judge scores)"))
