"""Automated reviews: model judges' scores imported as reviews, always marked as such."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import IntegrityError, transaction
from django.utils import timezone

from commons.models import Interview, Study
from commons.services import ServiceError, set_judge_scores_public
from reviews import signals
from reviews.models import Judge, MetricVersion, Review, ReviewRevision
from reviews.services.unblinding import record_unblinding
from reviews.services.writing import (
    CheckedEvidence,
    CheckedScore,
    check_value,
    write_revision_content,
)
from reviews import adequacy_scores
from reviews.adequacy_scores import ADEQUACY_SLUGS, looks_like_adequacy_file, read_adequacy_document
from reviews.score_folders import FileFacts, plan_folders
from reviews.still_alive_scores import (
    ALL_SLUGS,
    Replicate,
    SOURCE_QUOTES,
    ZERO_IS_NOT_REACHED_RULE,
    ScoredRecord,
    ScoreFile,
    ScoreFileError,
    find_score_files,
    prompt_version_from_path,
    read_score_file,
)

NOT_A_SCORE_FILE = "not a score file"

# The Still Alive v2.1 rubric corresponds to version 1 of each starter metric.
STILL_ALIVE_METRIC_VERSION = 1
MIN_ANCHOR_LENGTH = 8
_QUOTE_MARKS = "\"'“”‘’«»"


@dataclass
class ImportReport:
    files: list[str] = field(default_factory=list)
    folders: list[dict] = field(default_factory=list)  # each folder read: the prompt version given, or why skipped
    skipped_files: Counter = field(default_factory=Counter)  # reason → count
    created: Counter = field(default_factory=Counter)  # (judge, prompt version, replicate) → reviews created
    existing: Counter = field(default_factory=Counter)  # same key → already imported before
    missing: Counter = field(default_factory=Counter)  # encoding → missing values stored
    missing_by_metric: Counter = field(default_factory=Counter)  # (slug, encoding) → count
    failed_replicates: list[dict] = field(default_factory=list)
    empty_replicates: list[dict] = field(default_factory=list)
    unmatched_sessions: list[dict] = field(default_factory=list)
    rejected: list[dict] = field(default_factory=list)
    unknown_fields: Counter = field(default_factory=Counter)
    readings: Counter = field(default_factory=Counter)  # (slug, how the value was read) → count (adequacy files)
    evidence: int = 0
    evidence_anchored: int = 0
    interview_ids: set[int] = field(default_factory=set)  # every interview scored by the files, new or not
    studies: list[dict] = field(default_factory=list)  # whether each study's judge scores are public (see below)
    without_study: int = 0  # scored interviews outside any study: their judge scores stay blind until reviewed

    @property
    def created_total(self) -> int:
        return sum(self.created.values())

    @property
    def existing_total(self) -> int:
        return sum(self.existing.values())

    def as_json(self) -> dict:
        def keyed(counter: Counter) -> list[dict]:
            return [{"judge": j, "prompt_version": p, "replicate": r, "reviews": n}
                    for (j, p, r), n in sorted(counter.items())]

        return {
            "files": self.files,
            "folders": self.folders,
            "skipped_files": dict(self.skipped_files),
            "created": keyed(self.created),
            "already_present": keyed(self.existing),
            "created_total": self.created_total,
            "already_present_total": self.existing_total,
            "missing_values_by_encoding": dict(self.missing.most_common()),
            "zero_is_not_reached": {"rule": ZERO_IS_NOT_REACHED_RULE,
                                    "source": [{"where": w, "quote": q} for w, q in SOURCE_QUOTES]},
            "missing_values_by_metric": [{"metric": s, "encoding": e, "count": n}
                                         for (s, e), n in sorted(self.missing_by_metric.items())],
            "failed_replicates": self.failed_replicates,
            "empty_replicates": self.empty_replicates,
            "unmatched_sessions": self.unmatched_sessions,
            "rejected_records": self.rejected,
            "unknown_fields": dict(self.unknown_fields),
            "values_read": [{"metric": s, "read": how, "count": n} for (s, how), n in sorted(self.readings.items())],
            "judge_scores_visibility": {"studies": self.studies, "interviews_without_study": self.without_study,
                                        "rule": JUDGE_SCORES_RULE},
            "evidence_quotes": self.evidence,
            "evidence_anchored_to_transcript": self.evidence_anchored,
        }


def still_alive_versions() -> dict[str, MetricVersion]:
    slugs = {*ALL_SLUGS, *ADEQUACY_SLUGS}
    versions = {v.metric.slug: v for v in MetricVersion.objects.select_related("metric")
                .filter(metric__slug__in=slugs, number=STILL_ALIVE_METRIC_VERSION)}
    missing = sorted(slugs - set(versions))
    if missing:
        raise ServiceError("The starter metrics are missing (run migrate): " + ", ".join(missing), "metrics")
    return versions


def locate_quote(quote: str, turns: list[tuple[int, str, str]]) -> tuple[int, int, int] | None:
    """Find a judge's quote verbatim in the transcript (the target's turns first): (turn index, start, end)."""
    needle = quote.strip().strip(_QUOTE_MARKS).strip()
    if len(needle) < MIN_ANCHOR_LENGTH:
        return None
    for prefer_target in (True, False):
        for index, role, text in turns:
            if (role == "target") != prefer_target:
                continue
            start = text.find(needle)
            if start >= 0:
                return index, start, start + len(needle)
    return None


@transaction.atomic
def create_judge_review(*, interview: Interview, judge: Judge, prompt_version: str, replicate: int,
                        scores: list[CheckedScore], evidence: list[CheckedEvidence], critique: str,
                        source: str) -> Review:
    """Store one judge replicate's review of one interview as a submitted review with one revision."""
    now = timezone.now()
    review = Review.objects.create(interview=interview, kind=Review.Kind.JUDGE, judge=judge,
                                   prompt_version=prompt_version, replicate=replicate, source=source[:300],
                                   status=Review.Status.SUBMITTED, submitted_at=now)
    revision = ReviewRevision.objects.create(review=review, number=1, is_draft=False, is_current=True, submitted_at=now)
    write_revision_content(revision, scores=scores, critique=critique, flags=[], evidence=evidence)
    review.current_revision = revision
    review.save(update_fields=["current_revision"])
    record_unblinding(review, now)  # the people who have submitted now see this judge's review
    return review


def _checked(record: ScoredRecord, versions: dict[str, MetricVersion],
             turns: list[tuple[int, str, str]]) -> tuple[list[CheckedScore], list[CheckedEvidence]]:
    scores = []
    for value in record.values:
        version = versions[value.slug]
        if value.value is None:
            scores.append(CheckedScore(version, None, "", value.encoding))
        else:
            scores.append(check_value(version, value.value, value.source_field))
    evidence = []
    for item in record.evidence:
        anchor = locate_quote(item.quote, turns)
        turn_index, start, end = anchor if anchor else (None, None, None)
        quote = item.quote if anchor is None else next(t for i, _, t in turns if i == turn_index)[start:end]
        evidence.append(CheckedEvidence(turn_index, start, end, quote[:20000], versions.get(item.slug) if item.slug else None,
                                        item.note[:2000], item.source_field[:80]))
    return scores, evidence


def _planned_files(paths: list[Path], judge_name: str, prompt_version: str,
                   report: ImportReport) -> list[tuple[ScoreFile, str, str]]:
    """(file, judge, prompt version) for every score file of a folder that is imported (`score_folders`)."""
    files, skipped = find_score_files(paths)
    adequacy_files = []
    for path, reason in skipped:
        if reason == NOT_A_SCORE_FILE and looks_like_adequacy_file(adequacy_scores.load(path)):
            adequacy_files.append(path)  # interview adequacy (`reviews.adequacy_scores`)
            continue
        report.skipped_files[reason] += 1
    read = {path: read_score_file(path) for path in files}
    read.update({path: read_adequacy_document(adequacy_scores.load(path), str(path), prompt_version_from_path(path))
                 for path in adequacy_files})
    plans = plan_folders([FileFacts(path, f.declared_version, f.rubric) for path, f in read.items()],
                         override=prompt_version.strip())
    report.folders = [plan.as_json() for plan in plans]
    version_of = {path: plan.prompt_version for plan in plans if not plan.skipped for path in plan.files}
    parsed = []
    for path, score_file in read.items():
        if path not in version_of:
            report.skipped_files["in a folder not imported (see folders)"] += 1
            continue
        judge = score_file.judge or judge_name.strip()
        if not judge:
            raise ServiceError(f"{path} does not name its judge; pass --judge NAME.", "judge")
        parsed.append((score_file, judge, version_of[path]))
    return parsed


class _FileImport:
    """One score file's replicates written as one judge's reviews, with what happened in `report`."""

    def __init__(self, score_file: ScoreFile, judge: Judge, prompt_version: str,
                 versions: dict[str, MetricVersion], report: ImportReport) -> None:
        self.score_file = score_file
        self.judge = judge
        self.prompt_version = prompt_version
        self.versions = versions
        self.report = report
        session_ids = {rec.session_id for rep in score_file.replicates for rec in rep.records}
        # The first upload of a session wins when it was uploaded twice.
        self.interviews: dict[str, Interview] = {}
        for interview in (Interview.objects.filter(source_id__in=session_ids)
                          .exclude(status=Interview.Status.WITHDRAWN).order_by("created_at", "id")):
            self.interviews.setdefault(interview.source_id, interview)
        self.existing = set(Review.objects.filter(judge=judge, prompt_version=prompt_version,
                                                  interview__in=self.interviews.values())
                            .values_list("interview_id", "replicate"))
        self.turns: dict[int, list[tuple[int, str, str]]] = {}

    def run(self) -> None:
        for rep in self.score_file.replicates:
            self._replicate(rep)

    def _replicate(self, rep: Replicate) -> None:
        report = self.report
        where = {"file": self.score_file.path, "replicate": rep.number}
        if rep.failure:
            report.failed_replicates.append({**where, "error": rep.failure})
            return
        if rep.empty:
            report.empty_replicates.append(where)
            return
        for error in rep.errors:
            report.rejected.append({"location": error.location, "session": error.session_id, "error": error.message})
        for record in rep.records:
            report.unknown_fields.update(record.unknown_fields)
            interview = self.interviews.get(record.session_id)
            if interview is None:
                report.unmatched_sessions.append({**where, "session": record.session_id})
                continue
            self._record(rep.number, record, interview)

    def _record(self, replicate: int, record: ScoredRecord, interview: Interview) -> None:
        report = self.report
        key = (self.judge.name, self.prompt_version, replicate)
        report.interview_ids.add(interview.pk)
        if (interview.pk, replicate) in self.existing:
            report.existing[key] += 1
            return
        if interview.pk not in self.turns:
            self.turns[interview.pk] = list(interview.turns.order_by("index").values_list("index", "role", "text"))
        try:
            scores, evidence = _checked(record, self.versions, self.turns[interview.pk])
            create_judge_review(interview=interview, judge=self.judge, prompt_version=self.prompt_version,
                                replicate=replicate, scores=scores, evidence=evidence, critique=record.notes,
                                source=f"{self.score_file.path} replicate {replicate}")
        except ServiceError as err:
            report.rejected.append({"location": f"{record.location}.{err.field}", "session": record.session_id,
                                    "field": err.field, "error": err.message})
            return
        except IntegrityError:
            report.existing[key] += 1  # imported concurrently
            return
        self.existing.add((interview.pk, replicate))
        report.created[key] += 1
        report.evidence += len(evidence)
        report.evidence_anchored += sum(e.turn_index is not None for e in evidence)
        for value in record.values:
            if value.slug in ADEQUACY_SLUGS:
                report.readings[(value.slug, adequacy_scores.reading(value))] += 1
        for score in scores:
            if score.value is None:
                report.missing[score.missing_reason] += 1
                report.missing_by_metric[(score.version.metric.slug, score.missing_reason)] += 1


JUDGE_SCORES_RULE = ("Judge scores are blind, like human reviews, until an interview is fully reviewed, unless its "
                     "study publishes them (Study.judge_scores_public; import_reviews --judge-scores-public, the "
                     "study's settings page, or POST /api/v1/studies/<slug>/judge-scores-public/).")


def import_score_files(*, paths: list[Path], judge_name: str = "", prompt_version: str = "",
                       progress: Callable[[str], None] | None = None,
                       judge_scores_public: bool = False) -> ImportReport:
    """Import Still Alive score files as judge reviews. Running it again adds nothing.

    Each record (one session × one replicate) is written in its own transaction: a bad record is
    reported and leaves nothing behind; failed replicates are reported and skipped.
    `judge_scores_public` publishes the judge scores of every study the files scored (the corpus
    published them already); the report says, per study, which rule applies.
    """
    report = ImportReport()
    parsed = _planned_files(paths, judge_name, prompt_version, report)
    versions = still_alive_versions()
    judges: dict[str, Judge] = {}
    for score_file, judge_label, version in parsed:
        report.files.append(score_file.path)
        if judge_label not in judges:
            judges[judge_label], _ = Judge.objects.get_or_create(name=judge_label[:120],
                                                                 defaults={"model_identifier": judge_label[:200]})
        _FileImport(score_file, judges[judge_label], version, versions, report).run()
        if progress:
            progress(f"{score_file.path}: {sum(report.created.values())} created so far")
    if sum(report.created.values()):
        signals.judge_scores_imported.send(sender=Review, metric_version_ids={v.pk for v in versions.values()})
    _judge_scores_visibility(report, publish=judge_scores_public)
    return report


def _judge_scores_visibility(report: ImportReport, *, publish: bool) -> None:
    scored = Interview.objects.filter(pk__in=report.interview_ids)
    report.without_study = scored.filter(study__isnull=True).count()
    for study in Study.objects.filter(interviews__in=scored.values("pk")).distinct().order_by("slug"):
        if publish and not study.judge_scores_public:
            set_judge_scores_public(study=study, public=True, actor=None, via="import_reviews --judge-scores-public")
        report.studies.append({"study": study.slug, "interviews": scored.filter(study=study).count(),
                               "judge_scores_public": study.judge_scores_public})


__all__ = ["ImportReport", "ScoreFileError", "create_judge_review", "import_score_files", "locate_quote"]
