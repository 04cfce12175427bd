"""Dataset releases: the public corpus as CSV, JSONL and Parquet, versioned, checksummed, citable.

A release holds exactly what the explorer counts (see `aggregation`): interviews an anonymous
visitor can list; their turns (not for "all rights reserved" interviews, whose licence does not
allow redistribution); every review of an interview once it is reviewed, and before that only judge
reviews in studies whose judge scores are published data (the blind rule), with each review's blind value
(what the explorer counts) and its final value (newest revision) side by side; public agreement results; and the per-interview
consensus. Withdrawn, draft, private, unlisted and researcher-only interviews are never exported.

Files are written to a temporary folder and moved into place when complete, then recorded with
their SHA-256; a worker killed mid-build leaves the release "building" and a later run redoes it
(the sweeper, reviews/explorer/sweep.py, re-sends it and deletes the dead build's partial folder).
"""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from commons import locks
from commons.broker import enqueue_on_commit
from commons.spreadsheets import neutralise
from reviews.explorer import agreement, conf, release_withdrawals, sources
from reviews.explorer.models import DatasetRelease, InterviewConsensus, ReleaseFile
from reviews.explorer.release_readme import RELEASE_README
from commons.models import Interview, Licence, Redaction, Turn, User
from commons.redaction import public_masks
from commons.names import names_by_id
from reviews.models import Review, ReviewRevision, Score
from reviews.selectors import blind_revision_q, blind_scores

FORMATS = ("csv", "jsonl", "parquet")
BATCH = 5000
STALE_BUILD = timedelta(hours=2)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# ---------------------------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # string | int | float | bool | json | date | datetime


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple[Column, ...]
    rows: Callable[[], Iterator[dict[str, Any]]]


def _public_interviews():  # noqa: ANN202
    return sources.public_interviews().order_by("pk")


def _counted_reviews():  # noqa: ANN202
    """Reviews of reviewed public interviews; before that (blind) only judge reviews, and only in a study whose
    judge scores are published data."""
    public = _public_interviews()
    return (Review.objects.filter(status=Review.Status.SUBMITTED, current_revision__isnull=False,
                                  interview__in=public.values("pk"))
            .filter(Q(interview__status=Interview.Status.REVIEWED)
                    | Q(kind=Review.Kind.JUDGE, interview__study__judge_scores_public=True)))


def _reviewer_names(ids: Iterable[int]) -> dict[int, str]:
    return names_by_id(User.objects.filter(pk__in=set(ids)).only("pk", "display_name", "use_pseudonym"))


def _interview_rows() -> Iterator[dict[str, Any]]:
    qs = _public_interviews().select_related("study", "target_model", "interviewer")
    root = settings.SITE_ROOT.rstrip("/")
    for i in qs.iterator(chunk_size=BATCH):
        yield {
            "interview_id": i.pk, "title": i.title, "study": i.study.slug if i.study else None,
            "target_model": i.target_model.name, "target_model_provider": i.target_model.provider,
            "target_model_api_id": i.target_model.api_id,
            "target_model_release_date": i.target_model.release_date, "target_model_retired": i.target_model.retired,
            "interviewer": i.interviewer.name if i.interviewer else None,
            "interviewer_kind": i.interviewer.kind if i.interviewer else None,
            "interviewer_stance": i.interviewer.stance if i.interviewer else None,
            "conditions": i.conditions, "topics": i.topics, "conducted_on": i.conducted_on,
            "licence": i.licence, "status": i.status, "source_format": i.source_format,
            "content_hash": i.content_hash, "turns_included": i.licence != Licence.RESTRICTED,
            "url": f"{root}{i.get_absolute_url()}",
        }


def _turn_rows() -> Iterator[dict[str, Any]]:
    ids = _public_interviews().exclude(licence=Licence.RESTRICTED).values("pk")
    qs = (Turn.objects.filter(interview__in=ids).select_related("parent").order_by("interview_id", "index")
          .only("interview_id", "index", "role", "participant", "text", "blocks", "starts_over", "parent__index"))
    masks = public_masks(Redaction.objects.filter(interview__in=ids).values_list("interview_id", flat=True))
    for t in qs.iterator(chunk_size=BATCH):
        mask = masks.get(t.interview_id)  # a redacted turn is released as the public sees it: the placeholder
        yield {"interview_id": t.interview_id, "index": t.index, "role": t.role, "participant": t.participant,
               "text": mask.text(t.index, t.text) if mask else t.text,
               "blocks": mask.blocks(t.index, t.blocks) if mask else t.blocks,
               "parent_index": t.parent.index if t.parent is not None else None, "starts_over": t.starts_over}


def _blind_revision_numbers(review_ids: Iterable[int]) -> dict[int, int]:
    """review → the number of its blind revision (`reviews.selectors.blind_revision_q`)."""
    return dict(ReviewRevision.objects.filter(blind_revision_q(), review_id__in=list(review_ids))
                .values_list("review_id", "number"))


def _review_rows() -> Iterator[dict[str, Any]]:
    qs = (_counted_reviews().select_related("judge", "current_revision").order_by("pk"))
    batch: list[Review] = []

    def flush(items: list[Review]) -> Iterator[dict[str, Any]]:
        names = _reviewer_names(r.reviewer_id for r in items if r.reviewer_id)
        blind = _blind_revision_numbers(r.pk for r in items)
        for r in items:
            revision = r.current_revision
            assert revision is not None  # _counted_reviews keeps only reviews with one
            yield {"review_id": r.pk, "interview_id": r.interview_id, "kind": r.kind,
                   "reviewer": names.get(r.reviewer_id) if r.reviewer_id else None,
                   "judge": r.judge.name if r.judge is not None else None, "prompt_version": r.prompt_version or None,
                   "replicate": r.replicate, "revision": revision.number, "submitted_at": revision.submitted_at,
                   "blind_revision": blind.get(r.pk), "unblinded_at": r.unblinded_at,
                   "critique": revision.critique, "method_flags": revision.method_flags}

    for review in qs.iterator(chunk_size=BATCH):
        batch.append(review)
        if len(batch) >= BATCH:
            yield from flush(batch)
            batch = []
    yield from flush(batch)


_SCORE_FIELDS = ("revision__review_id", "revision__review__interview_id", "metric_version_id",
                 "metric_version__metric__slug", "metric_version__number", "value", "label", "missing_reason")


def _score_rows() -> Iterator[dict[str, Any]]:
    """One row per review and metric version: the blind value (what every explorer number and headline alpha
    count) and the final value (the newest revision's; the same unless revised after unblinding)."""
    counted = _counted_reviews().values("pk")
    # The few reviews whose newest revision came after unblinding: their final scores, read once.
    revised = (Score.objects.filter(revision__is_current=True, revision__review__in=counted,
                                    revision__review__unblinded_at__isnull=False,
                                    revision__submitted_at__gt=F("revision__review__unblinded_at"))
               .values_list("revision__review_id", "metric_version_id", "value", "label"))
    final: dict[tuple[int, int], tuple[Any, str]] = {(r, v): (value, label) for r, v, value, label in revised}
    revised_reviews = {r for r, _ in final}
    qs = (blind_scores().filter(revision__review__in=counted)
          .order_by("revision__review_id", "metric_version_id").values_list(*_SCORE_FIELDS))
    def row(review: int, interview: int, version: int, slug: str, number: int, value: Any, label: str,
            reason: str) -> dict[str, Any]:
        missing = value is None and not label
        after = review in revised_reviews
        final_value, final_label = final.get((review, version), (None, "")) if after else (value, label)
        return {"review_id": review, "interview_id": interview, "metric": slug, "metric_version": number,
                "metric_version_id": version, "value": value, "label": label or None, "missing": missing,
                "missing_reason": (reason or "cannot judge") if missing else None,
                "final_value": final_value, "final_label": final_label or None, "revised_after_unblinding": after}

    written: set[tuple[int, int]] = set()
    for fields in qs.iterator(chunk_size=BATCH):
        written.add((fields[0], fields[2]))
        yield row(*fields)
    # A review begun after the reviews were public has no blind value: its final scores, blind value missing.
    unmatched = [key for key in final if key not in written]
    if unmatched:
        facts = {(r, v): (i, slug, n) for r, i, v, slug, n in Score.objects.filter(
            revision__is_current=True, revision__review_id__in={r for r, _ in unmatched})
            .values_list("revision__review_id", "revision__review__interview_id", "metric_version_id",
                         "metric_version__metric__slug", "metric_version__number")}
        for review, version in sorted(unmatched):
            interview, slug, number = facts[(review, version)]
            yield row(review, interview, version, slug, number, None, "", "no blind value")


def _agreement_rows() -> Iterator[dict[str, Any]]:
    for row in agreement.results():
        yield {"metric_version_id": row["metric_version"], "slice_type": row["slice_type"],
               "slice_value": row["slice_value"], "slice_label": row["slice_label"], "level": row["level"],
               "alpha": row["alpha"], "ci_low": row["ci_low"], "ci_high": row["ci_high"],
               "undefined_reason": row["reason"] or None, "units": row["units"],
               "pairable_values": row["pairable_values"], "raters": row["raters"],
               "q_below_667": row["q_below_667"], "q_below_800": row["q_below_800"],
               "small_sample": row["small_sample"], "computed_at": row["computed_at"]}


def _consensus_rows() -> Iterator[dict[str, Any]]:
    qs = (InterviewConsensus.objects.filter(interview__in=_public_interviews().values("pk"))
          .order_by("interview_id", "metric_version_id", "scope")
          .values_list("interview_id", "metric_version_id", "scope", "value", "raters", "assessed_by"))
    for interview, version, scope, value, raters, assessed in qs.iterator(chunk_size=BATCH):
        yield {"interview_id": interview, "metric_version_id": version, "raters_kind": scope, "consensus": value,
               "raters_with_value": raters, "raters_assessed": assessed}


def _columns(spec: str) -> tuple[Column, ...]:
    return tuple(Column(*item.split(":")) for item in spec.split())


TABLES = (
    Table("interviews", "One row per public interview: model, interviewer, conditions, licence, link.", _columns(
        "interview_id:int title:string study:string target_model:string target_model_provider:string "
        "target_model_api_id:string target_model_release_date:date target_model_retired:bool interviewer:string "
        "interviewer_kind:string interviewer_stance:string conditions:json topics:json conducted_on:date "
        "licence:string status:string source_format:string content_hash:string turns_included:bool url:string"),
        _interview_rows),
    Table("turns", "Transcript turns in order (interviews licensed 'all rights reserved' are left out).", _columns(
        "interview_id:int index:int role:string participant:string text:string blocks:json parent_index:int "
        "starts_over:bool"), _turn_rows),
    Table("reviews", "Reviews counted by the explorer: all once an interview is reviewed; before, only model "
                     "judges' in studies that publish them.",
          _columns("review_id:int interview_id:int kind:string reviewer:string judge:string prompt_version:string "
                   "replicate:int revision:int submitted_at:datetime blind_revision:int unblinded_at:datetime "
                   "critique:string method_flags:json"),
          _review_rows),
    Table("scores", "Scores of those reviews: value/label = the blind value (last revision before the reviewer "
                    "could see the others; what alpha and the explorer count), final_value/final_label = the "
                    "newest revision's; missing = cannot judge / not reached (never 0).",
          _columns("review_id:int interview_id:int metric:string metric_version:int metric_version_id:int "
                   "value:float label:string missing:bool missing_reason:string final_value:float "
                   "final_label:string revised_after_unblinding:bool"), _score_rows),
    Table("agreement", "Krippendorff's alpha per metric version and slice (public results of the agreement job).",
          _columns("metric_version_id:int slice_type:string slice_value:string slice_label:string level:string "
                   "alpha:float ci_low:float ci_high:float undefined_reason:string units:int pairable_values:int "
                   "raters:int q_below_667:float q_below_800:float small_sample:bool computed_at:string"),
          _agreement_rows),
    Table("consensus", "Per interview and metric version: the consensus the explorer averages (see its method).",
          _columns("interview_id:int metric_version_id:int raters_kind:string consensus:float raters_with_value:int "
                   "raters_assessed:int"), _consensus_rows),
)


# ---------------------------------------------------------------------------------------------- writers


def _text(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "json":
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def _csv_cell(value: Any, kind: str) -> Any:
    value = _text(value, kind)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return neutralise(value) if isinstance(value, str) else value


def _json_value(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


class _Writers:
    def __init__(self, folder: Path, table: Table) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.table = table
        self.paths = {fmt: folder / f"{table.name}.{fmt}" for fmt in FORMATS}
        self.csv_handle = self.paths["csv"].open("w", newline="", encoding="utf-8")
        self.csv = csv.writer(self.csv_handle)
        self.csv.writerow([c.name for c in table.columns])
        self.jsonl = self.paths["jsonl"].open("w", encoding="utf-8")
        types = {"string": pa.string(), "int": pa.int64(), "float": pa.float64(), "bool": pa.bool_(),
                 "json": pa.string(), "date": pa.date32(), "datetime": pa.timestamp("us", tz="UTC")}
        self.schema = pa.schema([pa.field(c.name, types[c.kind]) for c in table.columns])
        self.parquet = pq.ParquetWriter(self.paths["parquet"], self.schema, compression="zstd")
        self.pa = pa
        self.buffer: list[dict[str, Any]] = []
        self.rows = 0

    def write(self, row: dict[str, Any]) -> None:
        self.csv.writerow([_csv_cell(row[c.name], c.kind) for c in self.table.columns])
        self.jsonl.write(json.dumps({c.name: _json_value(row[c.name]) for c in self.table.columns},
                                    ensure_ascii=False) + "\n")
        self.buffer.append(row)
        self.rows += 1
        if len(self.buffer) >= BATCH:
            self._flush()

    def _flush(self) -> None:
        if not self.buffer:
            return
        columns = {}
        for c in self.table.columns:
            values = [row[c.name] for row in self.buffer]
            if c.kind == "json":
                values = [None if v is None else json.dumps(v, ensure_ascii=False, sort_keys=True) for v in values]
            columns[c.name] = values
        self.parquet.write_table(self.pa.Table.from_pydict(columns, schema=self.schema))
        self.buffer = []

    def close(self) -> None:
        self._flush()
        self.csv_handle.close()
        self.jsonl.close()
        self.parquet.close()


def write_tables(folder: Path) -> dict[str, int]:
    counts = {}
    for table in TABLES:
        writers = _Writers(folder, table)
        try:
            for row in table.rows():
                writers.write(row)
        finally:
            writers.close()
        counts[table.name] = writers.rows
    return counts


# ---------------------------------------------------------------------------------------------- releases


def next_version(today: date | None = None) -> str:
    today = today or timezone.now().date()
    prefix = today.strftime("%Y.%m.%d")
    taken = DatasetRelease.objects.filter(version__startswith=prefix).count()
    return f"{prefix}-{taken + 1}"


def citation(release: DatasetRelease, bundle_sha256: str) -> str:
    year = (release.finished_at or timezone.now()).year
    root = settings.SITE_ROOT.rstrip("/")
    return (f"Research Commons contributors ({year}). Research Commons public corpus of language-model interviews, "
            f"reviews and agreement, release {release.version} [Data set]. {root}/explore/data/{release.version}/ "
            f"(SHA-256 of the bundle: {bundle_sha256}).")


@transaction.atomic
def request_release(*, requested_by: User | None, note: str = "") -> DatasetRelease:
    """Queue a new release; the build runs in the background after commit."""
    from reviews.explorer.tasks import build_release as build_task

    release = DatasetRelease.objects.create(version=next_version(), requested_by=requested_by, note=note[:2000])
    # Broker down: the release is marked failed, saying so, and QueueUnavailable (a 503) is raised.
    enqueue_on_commit(build_task, release.pk, on_failure=lambda error: fail_release(release_id=release.pk, error=error))
    return release


def _claim(release_id: int, *, locked: bool) -> bool:
    """Mark a release as building. With an advisory lock held (PostgreSQL) a release left "building"
    by a killed worker is taken over at once; otherwise only once its build is STALE_BUILD old."""
    now = timezone.now()
    claimable = Q(status=DatasetRelease.Status.QUEUED) | Q(status=DatasetRelease.Status.BUILDING)
    if not locked:
        claimable = Q(status=DatasetRelease.Status.QUEUED) | Q(status=DatasetRelease.Status.BUILDING,
                                                              started_at__lt=now - STALE_BUILD)
    return bool(DatasetRelease.objects.filter(claimable, pk=release_id)
                .update(status=DatasetRelease.Status.BUILDING, started_at=now))


def release_folder(release: DatasetRelease) -> Path:
    return Path(settings.MEDIA_ROOT) / conf.releases_dir() / release.version


def partial_prefix(release: DatasetRelease) -> str:
    return f".{release.version}-"


def remove_partial_folders(release: DatasetRelease) -> list[Path]:
    """Delete the temporary folders of this release's earlier, unfinished builds; returns them."""
    parent = release_folder(release).parent
    found = sorted(parent.glob(f"{partial_prefix(release)}*")) if parent.is_dir() else []
    for path in found:
        shutil.rmtree(path, ignore_errors=True)
    return found




def lock_name(release_id: int) -> str:
    return f"explorer-release-{release_id}"


def build_release(release_id: int) -> DatasetRelease | None:
    """Build a queued release (idempotent: a release already built or being built is left alone)."""
    if not locks.has_advisory_locks():
        return _build_claimed(release_id, locked=False)
    with locks.advisory_lock(lock_name(release_id)) as acquired:
        return _build_claimed(release_id, locked=True) if acquired else None


def _build_claimed(release_id: int, *, locked: bool) -> DatasetRelease | None:
    if not _claim(release_id, locked=locked):
        return None
    release = DatasetRelease.objects.get(pk=release_id)
    final = release_folder(release)
    final.parent.mkdir(parents=True, exist_ok=True)
    remove_partial_folders(release)  # a killed build's leftovers: we hold the claim, nobody else writes them
    folder = Path(tempfile.mkdtemp(dir=final.parent, prefix=partial_prefix(release)))
    try:
        counts = write_tables(folder)
        sums = {p.name: sha256_file(p) for p in sorted(folder.iterdir()) if p.is_file()}
        bundle_name = f"research-commons-{release.version}.zip"
        release.finished_at = timezone.now()
        tables = "\n".join(f"  {t.name}: {t.description} ({counts[t.name]} rows)" for t in TABLES)
        readme = RELEASE_README.format(version=release.version, built=release.finished_at.isoformat(timespec="seconds"),
                               tables=tables, citation=citation(release, f"see {bundle_name}.sha256"))
        (folder / "README.txt").write_text(readme, encoding="utf-8")
        manifest = {"version": release.version, "built_at": release.finished_at.isoformat(), "rows": counts,
                    "files": [{"name": n, "sha256": s, "size": (folder / n).stat().st_size} for n, s in sums.items()]}
        (folder / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        for extra in ("README.txt", "manifest.json"):
            sums[extra] = sha256_file(folder / extra)
        (folder / "SHA256SUMS").write_text("".join(f"{s}  {n}\n" for n, s in sorted(sums.items())), encoding="utf-8")
        with zipfile.ZipFile(folder / bundle_name, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
            for name in sorted([*sums, "SHA256SUMS"]):
                bundle.write(folder / name, arcname=f"research-commons-{release.version}/{name}")
        bundle_sha = sha256_file(folder / bundle_name)
        (folder / f"{bundle_name}.sha256").write_text(f"{bundle_sha}  {bundle_name}\n", encoding="utf-8")
        if final.exists():
            shutil.rmtree(final)
        folder.rename(final)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    rows = {t.name: counts[t.name] for t in TABLES}
    files = []
    for path in sorted(final.iterdir()):
        table, _, fmt = path.name.partition(".")
        is_table = table in rows and fmt in FORMATS
        files.append(ReleaseFile(release=release, name=path.name, table=table if is_table else "",
                                 format=fmt if is_table else path.suffix.lstrip(".") or "txt",
                                 path=str(path.relative_to(settings.MEDIA_ROOT)), size=path.stat().st_size,
                                 sha256=bundle_sha if path.name == bundle_name else sha256_file(path),
                                 rows=rows.get(table) if is_table else None))
    with transaction.atomic():
        ReleaseFile.objects.filter(release=release).delete()
        ReleaseFile.objects.bulk_create(files)
        release_withdrawals.record_contents(release, final)
        release.status = DatasetRelease.Status.READY
        release.counts = rows
        release.citation = citation(release, bundle_sha)
        release.error = ""
        release.save(update_fields=["status", "counts", "citation", "finished_at", "error", "contains_withdrawn_since"])
    return release


def fail_release(*, release_id: int, error: str) -> None:
    DatasetRelease.objects.filter(pk=release_id).update(status=DatasetRelease.Status.FAILED, error=error[:2000],
                                                        finished_at=timezone.now())


def bundle_file(release: DatasetRelease) -> ReleaseFile | None:
    return release.files.filter(format="zip").first()
