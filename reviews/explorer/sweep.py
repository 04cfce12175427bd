"""Release builds whose task is lost are sent again, and a dead build's partial folder is removed.

The same rule as for imports (commons/jobs.py): a queued release with no message in the broker, or a
building one whose lock nobody holds (PostgreSQL) and that no message will run, is re-enqueued; the
build is idempotent and runs under that lock. A build killed mid-write leaves a hidden temporary
folder (`.<version>-…`, beside the finished releases); it is deleted once no live build owns it.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from django.conf import settings

from commons import broker, jobs
from reviews.explorer import conf, releases
from reviews.explorer.models import DatasetRelease

logger = logging.getLogger(__name__)

ACTIVE = (DatasetRelease.Status.QUEUED, DatasetRelease.Status.BUILDING)
STATUS_FOR_RULE: dict[str, str] = {DatasetRelease.Status.QUEUED: "queued", DatasetRelease.Status.BUILDING: "running"}


def sweep_release_builds() -> list[int]:
    """Re-enqueue lost builds and delete partial folders no live build owns; returns the re-enqueued ids."""
    from reviews.explorer.tasks import build_release

    pending = broker.pending_messages(build_release.name)
    lost = [
        row["pk"] for row in DatasetRelease.objects.filter(status__in=ACTIVE).values("pk", "status", "created_at",
                                                                                    "started_at")
        if jobs.is_lost(status=STATUS_FOR_RULE[row["status"]], created_at=row["created_at"],
                        started_at=row["started_at"], lock_name=releases.lock_name(row["pk"]),
                        pending=(pending or {}).get(row["pk"]), can_see_broker=pending is not None)
    ]
    resent = [pk for pk in lost if broker.try_enqueue(build_release, pk)]
    if resent:
        logger.warning("re-enqueued release builds whose task was lost: %s", resent)
    remove_dead_partial_folders()
    return resent


def _owner_is_building(version: str) -> bool:
    release = DatasetRelease.objects.filter(version=version).values("pk", "status", "started_at").first()
    return (release is not None and release["status"] == DatasetRelease.Status.BUILDING
            and jobs.runner_alive(releases.lock_name(release["pk"]), release["started_at"]))


def remove_dead_partial_folders() -> list[Path]:
    """Delete `.<version>-…` folders whose release is not being built by a live worker; returns them."""
    root = Path(settings.MEDIA_ROOT) / conf.releases_dir()
    candidates = [p for p in root.glob(".*-*") if p.is_dir()] if root.is_dir() else []
    removed = [p for p in candidates if not _owner_is_building(p.name[1:p.name.rindex("-")])]
    for path in removed:
        shutil.rmtree(path, ignore_errors=True)
    if removed:
        logger.warning("removed partial release folders of dead builds: %s", [p.name for p in removed])
    return removed
