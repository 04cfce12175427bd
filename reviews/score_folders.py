"""Which prompt version each folder of judge score files is, and which folders are not imported.

Pure Python, no Django. A judge is a rater only together with its prompt version, so two rubrics
must never be merged under one version. `import_reviews` reads folders recursively; the real
Still Alive repository keeps an older rubric's scores inside the newer one's folder
(`scores-v2.1/backup-v2/`). So each folder is planned on its own:

- its version is the one its files declare (`prompt_version` / `rubric_version`), else the one in
  its name (`backup-v2` → v2), else, for a sub-folder, its parent folder's — but only when its
  rubric (the set of axes its records score) is the parent's;
- a sub-folder whose rubric differs from its parent's is imported as its own version when it
  names one that differs from the parent's, and otherwise skipped with the reason (never merged);
- ``--prompt-version`` names the version of everything imported; a sub-folder whose rubric differs
  is then skipped, since the override would merge it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

_VERSION_IN_NAME = re.compile(r"(?<![a-z0-9])v\d+(?:\.\d+)*")
UNSPECIFIED = "unspecified"


@dataclass(frozen=True)
class FileFacts:
    path: Path
    declared_version: str  # what the file itself says ("" if nothing)
    rubric: frozenset[str]  # the axes its records score


@dataclass
class FolderPlan:
    folder: Path
    files: list[Path] = field(default_factory=list)
    rubric: frozenset[str] = frozenset()
    prompt_version: str = ""
    how: str = ""  # how the version was decided
    skipped: str = ""  # why the folder is not imported ("" = imported)
    parent: Path | None = None

    def as_json(self) -> dict[str, object]:
        return {"folder": str(self.folder), "files": len(self.files), "parent": str(self.parent) if self.parent else None,
                "prompt_version": None if self.skipped else self.prompt_version, "how": self.how,
                "skipped": self.skipped}


def version_in_name(name: str) -> str:
    found = _VERSION_IN_NAME.search(name.lower())
    return found.group(0) if found else ""


def plan_folders(files: list[FileFacts], *, override: str = "") -> list[FolderPlan]:
    """One plan per folder holding score files, parents before their sub-folders."""
    plans: dict[Path, FolderPlan] = {}
    declared: dict[Path, set[str]] = {}
    for facts in files:
        plan = plans.setdefault(facts.path.parent, FolderPlan(facts.path.parent))
        plan.files.append(facts.path)
        plan.rubric = plan.rubric | facts.rubric
        declared.setdefault(plan.folder, set()).update({facts.declared_version} - {""})
    ordered = sorted(plans.values(), key=lambda p: (len(p.folder.parts), str(p.folder)))
    for plan in ordered:
        plan.parent = next((p.folder for p in reversed(ordered)
                            if p.folder != plan.folder and p.folder in plan.folder.parents), None)
        _decide(plan, plans.get(plan.parent) if plan.parent else None, declared[plan.folder], override)
    return ordered


def _own_version(plan: FolderPlan, declared: set[str], override: str) -> tuple[str, str]:
    if override:
        return override, "--prompt-version"
    if len(declared) == 1:
        return next(iter(declared)), "declared in its files"
    if len(declared) > 1:
        plan.skipped = "its files declare different prompt versions: " + ", ".join(sorted(declared))
        return "", ""
    named = version_in_name(plan.folder.name)
    return (named, "from the folder name") if named else ("", "")


def _decide(plan: FolderPlan, parent: FolderPlan | None, declared: set[str], override: str) -> None:
    own, how = _own_version(plan, declared, override)
    if plan.skipped:
        return
    if parent is None or parent.skipped:
        plan.prompt_version, plan.how = own or UNSPECIFIED, how or "no version found"
        return
    if plan.rubric == parent.rubric:
        plan.prompt_version = own or parent.prompt_version
        plan.how = how or f"same rubric as {parent.folder.name}/: its version"
        return
    difference = _rubric_difference(plan.rubric, parent.rubric)
    if own and not override and own != parent.prompt_version:
        plan.prompt_version, plan.how = own, f"{how}; its rubric differs from {parent.folder.name}/'s ({difference})"
        return
    plan.skipped = (f"its rubric differs from {parent.folder.name}/'s ({difference}) and "
                    + ("--prompt-version would merge it into one version"
                       if override else f"it names no other prompt version than {parent.prompt_version}")
                    + ": not imported, never merged")


def _rubric_difference(mine: frozenset[str], theirs: frozenset[str]) -> str:
    parts = []
    if theirs - mine:
        parts.append("without " + ", ".join(sorted(theirs - mine)))
    if mine - theirs:
        parts.append("with " + ", ".join(sorted(mine - theirs)))
    return "; ".join(parts)


__all__ = ["FileFacts", "FolderPlan", "UNSPECIFIED", "plan_folders", "version_in_name"]
