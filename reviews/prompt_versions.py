"""Which prompt version of a model judge counts: a judge is a rater only together with one prompt version.

Pure Python, no Django. Two prompt versions of one judge are two instruments (an older rubric, a
reworded prompt): their scores are never pooled. Where a number stands for "the judge" without
naming a version (the explorer's views, the agreement slices that compare raters), the judge's
**newest** version counts: the one with the highest version number in its name (v2.1 > v2 > v1.9),
names without a number before any numbered one, and between equal numbers the later name
alphabetically. Every version stays available by name (the explorer's judge filter, the
agreement slice "replicates of one judge").
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

_NUMBER = re.compile(r"\d+(?:\.\d+)*")


def version_key(version: str) -> tuple[tuple[int, ...], str]:
    """Sort key: the first dotted number in the name (none sorts first), then the name itself."""
    found = _NUMBER.search(version or "")
    numbers = tuple(int(part) for part in found.group(0).split(".")) if found else ()
    return numbers, version or ""


def newest(versions: Iterable[str]) -> str | None:
    """The newest of these prompt versions, or None if there are none."""
    found = list(versions)
    return max(found, key=version_key) if found else None


def ordered(versions: Iterable[str]) -> list[str]:
    """Newest first."""
    return sorted(set(versions), key=version_key, reverse=True)


def newest_per_judge(pairs: Iterable[tuple[int, str]]) -> dict[int, str]:
    """(judge, prompt version) pairs → each judge's newest version."""
    by_judge: dict[int, set[str]] = defaultdict(set)
    for judge_id, version in pairs:
        by_judge[judge_id].add(version or "")
    return {judge_id: max(versions, key=version_key) for judge_id, versions in by_judge.items()}


__all__ = ["newest", "newest_per_judge", "ordered", "version_key"]
