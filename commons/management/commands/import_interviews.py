from __future__ import annotations

import json
import sys
import time
from collections import Counter
from itertools import chain
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from commons import services
from commons.models import Interview, Licence, Study, User
from commons.transcripts import ItemOutcome, TranscriptError, parse_items
from commons.transcripts.types import InterviewerInfo, ModelInfo

IMPORTER_EMAIL = "importer@research-commons.invalid"


def importer_account() -> User:
    """The contributor recorded for command-line imports when no --contributor is given."""
    user, created = User.objects.get_or_create(
        email=IMPORTER_EMAIL, defaults={"username": "commons-importer", "display_name": "Command-line importer"})
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def iter_files(paths: list[str]):
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                yield child, str(child.relative_to(path.parent))
        elif path.is_file():
            yield path, path.name
        else:
            raise CommandError(f"{raw}: no such file or folder.")


class Command(BaseCommand):
    help = "Import interview transcripts from files, folders, JSONL files and zip archives."

    def add_arguments(self, parser) -> None:
        parser.add_argument("paths", nargs="+")
        parser.add_argument("--contributor", help="E-mail of the contributing user (default: a system importer account)")
        parser.add_argument("--licence", default=Licence.CC_BY_4, choices=Licence.values)
        parser.add_argument("--visibility", default=Interview.Visibility.PUBLIC, choices=Interview.Visibility.values)
        parser.add_argument("--study", help="Study slug for every imported interview")
        parser.add_argument("--target-model", metavar="NAME",
                            help="Target model for files that do not name one (matched by name, created if absent)")
        parser.add_argument("--interviewer", metavar="NAME",
                            help="Interviewer for files that do not name one (a model interviewer; created if absent)")
        parser.add_argument("--draft", action="store_true", help="Import as drafts instead of submitting")
        parser.add_argument("--report", help="Write the per-item report as JSON to this file")

    def handle(self, *args, paths: list[str], contributor: str | None, licence: str, visibility: str,
               study: str | None, draft: bool, report: str | None, target_model: str | None,
               interviewer: str | None, **options) -> None:
        if contributor:
            user = User.objects.filter(email__iexact=contributor).first()
            if user is None:
                raise CommandError(f"No user with e-mail {contributor}.")
        else:
            user = importer_account()
        study_obj = None
        if study:
            study_obj = Study.objects.filter(slug=study).first()
            if study_obj is None:
                raise CommandError(f"No study with slug {study}.")
        # What a file names wins; these only fill in for files that do not say (ShareGPT, plain text).
        model = (services.get_or_create_target_model(info=ModelInfo(name=target_model.strip()), created_by=user)
                 if target_model and target_model.strip() else None)
        person = (services.get_or_create_interviewer(info=InterviewerInfo(name=interviewer.strip()), created_by=user)
                  if interviewer and interviewer.strip() else None)
        defaults = services.ImportDefaults(licence=licence, visibility=visibility,
                                           study_id=study_obj.pk if study_obj else None, submit=not draft,
                                           target_model_id=model.pk if model else None,
                                           interviewer_id=person.pk if person else None)
        rows: list[dict] = []
        counts: Counter[str] = Counter()
        started = time.perf_counter()
        verbose = options["verbosity"] >= 1
        files = list(iter_files(paths))  # a missing path stops the command before anything is stored

        def progress(row: dict) -> None:
            rows.append(row)
            counts[row["status"]] += 1
            if row["status"] == "rejected" and verbose:
                self.stderr.write(f"rejected {row['location']}: {row['message']}")
            if verbose and sys.stdout.isatty():
                self.stdout.write(f"\r{len(rows)} items: " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())),
                                  ending="")

        # One stream over every file, so items from many small files share a transaction batch.
        outcomes = chain.from_iterable(self._outcomes(path, label) for path, label in files)
        services.import_items(outcomes=outcomes, contributor=user, defaults=defaults, progress=progress)
        elapsed = time.perf_counter() - started
        if verbose and sys.stdout.isatty():
            self.stdout.write("")
        summary = ", ".join(f"{counts[k]} {k}" for k in ("accepted", "duplicate", "rejected", "skipped"))
        self.stdout.write(self.style.SUCCESS(f"{len(rows)} items in {elapsed:.1f} s: {summary}."))
        if report:
            Path(report).write_text(json.dumps(rows, indent=1))

    def _outcomes(self, path: Path, label: str):
        size = path.stat().st_size
        if size > settings.IMPORT_MAX_BYTES:
            err = TranscriptError(f"file is {size:,} bytes; the limit is {settings.IMPORT_MAX_BYTES:,}", label)
            return [ItemOutcome(location=label, interview=None, error=err)]
        return parse_items(path.read_bytes(), filename=label, limits=services.import_limits())
