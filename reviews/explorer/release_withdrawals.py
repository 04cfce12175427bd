"""Releases and withdrawn (or redacted) interviews: a release is marked, never rebuilt in place.

A release is a citable, checksummed file set; rebuilding it under the same version would change
what its citation and checksums point at. So when an interview it contains is withdrawn, the
release is marked (`DatasetRelease.contains_withdrawn_since`) and its files stop being served
(410, saying why and naming the newest release without a withdrawn interview); the page stays, so
a citation still resolves. A curator publishes a new release to replace it (a new version).

A turn redacted after a release was built is the same case (the release holds the text the public may no
longer see), so a redaction marks the releases holding its interview with the same mark.

News arrives by the Interview and Redaction post_save signals (receivers.py): commons never calls up here.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.db.models import QuerySet
from django.utils import timezone

from commons.models import Interview, Redaction
from reviews.explorer.models import DatasetRelease, ReleaseInterview


def record_contents(release: DatasetRelease, folder: Path) -> None:
    """Store which interviews the built release holds (read back from its interviews table), and mark it at once
    if one of them was withdrawn while it was being built. Call inside the transaction that makes it ready."""
    with (folder / "interviews.jsonl").open(encoding="utf-8") as handle:
        ids = sorted({int(json.loads(line)["interview_id"]) for line in handle if line.strip()})
    ReleaseInterview.objects.filter(release=release).delete()
    ReleaseInterview.objects.bulk_create([ReleaseInterview(release=release, interview_id=pk) for pk in ids],
                                         batch_size=5000)
    if (Interview.objects.filter(pk__in=ids, status=Interview.Status.WITHDRAWN).exists()
            or _redacted_since(release, ids).exists()):
        release.contains_withdrawn_since = timezone.now()


def _redacted_since(release: DatasetRelease, interview_ids: QuerySet | list[int]) -> QuerySet[Redaction]:
    """Redactions made after the build began: its turns table may hold their text."""
    began = release.started_at or release.created_at
    return Redaction.objects.filter(interview_id__in=interview_ids, created_at__gte=began)


def redacted_interview_count(release: DatasetRelease) -> int:
    held = ReleaseInterview.objects.filter(release=release).values("interview_id")
    return _redacted_since(release, held).values("interview_id").distinct().count()


def mark_releases_containing(interview_id: int) -> int:
    """Mark every release holding this (now withdrawn) interview; returns how many were newly marked."""
    holding = ReleaseInterview.objects.filter(interview_id=interview_id).values("release_id")
    return (DatasetRelease.objects.filter(pk__in=holding, contains_withdrawn_since__isnull=True)
            .update(contains_withdrawn_since=timezone.now()))


def withdrawn_interview_count(release: DatasetRelease) -> int:
    held = ReleaseInterview.objects.filter(release=release).values("interview_id")
    return Interview.objects.filter(pk__in=held, status=Interview.Status.WITHDRAWN).count()


def servable_releases() -> QuerySet[DatasetRelease]:
    return DatasetRelease.objects.filter(status=DatasetRelease.Status.READY, contains_withdrawn_since__isnull=True)


def newest_without_withdrawn(excluding: DatasetRelease | None = None) -> DatasetRelease | None:
    """The newest ready release none of whose interviews is withdrawn: where a marked release's readers go."""
    qs = servable_releases()
    if excluding is not None:
        qs = qs.exclude(pk=excluding.pk)
    return qs.order_by("-created_at", "-id").first()
