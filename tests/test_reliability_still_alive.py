"""Real data: alpha between the two Still Alive judges and between replicates of each judge, for every
numeric axis, equals an independent computation straight from the raw score files with `krippendorff`.

The sessions and the judge scores go in through the project's importers (`import_interviews`,
`import_reviews`); the expected side reads the raw JSON itself, with its own reading of the
source's "topic not reached" encodings, and never touches the database or project code.

By default a subset (two target models, both auditors) keeps the test quick; STILL_ALIVE_FULL=1
runs the whole corpus (the README figures). Skips only when the data folder is absent.
"""

from __future__ import annotations

import json
import os
import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any

import krippendorff
import numpy as np
import pytest

from commons.models import Interview
from reviews.models import Judge, MetricVersion
from reviews.reliability import services
from reviews.reliability.models import AgreementResult
from tests.fixtures.environment import STILL_ALIVE
from tests.fixtures.still_alive import import_still_alive

pytestmark = pytest.mark.django_db

FULL = os.environ.get("STILL_ALIVE_FULL", "").lower() in {"1", "true", "yes"}
SUBSET = ("claude_3_sonnet", "claude_4.5_opus")
SESSION_PREFIXES = ("claude-3_sonnet", "claude-45_opus")
JUDGES = {"Opus judge": ("scores-v2.1", "scores-gpt-v2.1"), "GPT judge": ("scores-v2.1-gptjudge", "scores-gpt-v2.1-gptjudge")}

# Numeric axes of the rubric: where each sits in a score record → its metric.
NUMERIC_AXES: dict[str, tuple[str, ...]] = {
    "shift-magnitude": ("shift_magnitude",),
    "specificity": ("specificity",),
    "auditor-intervention": ("auditor_intervention",),
    "vocabulary-importation": ("vocabulary_importation",),
    "interpretive-compression": ("interpretive_compression",),
    "expressive-constraint": ("expressive_constraint", "level"),
    "vocabulary-autonomy": ("vocabulary_autonomy", "level"),
    "deprecation-response": ("deprecation", "intensity"),
    "instance-cessation-response": ("instance_cessation", "intensity"),
    "undifferentiated-ending-response": ("undifferentiated_ending", "intensity"),
    "recognition-spontaneous": ("recognition_source", "spontaneous"),
    "recognition-responsive": ("recognition_source", "responsive"),
    "recognition-scaffolded": ("recognition_source", "scaffolded"),
    "recognition-auditor-supplied": ("recognition_source", "auditor_supplied"),
    "unprompted-observations": ("unprompted",),
}
# A 0 intensity is "not reached", whatever its note says: the judges were told "If a topic didn't come
# up in a session, score it 0 / not-addressed." (wfe src/score.ts) and the study drops those zeros.


def raw_value(record: dict[str, Any], path: tuple[str, ...]) -> float | None:
    """The number the judge gave, or None where the source says the topic was not reached."""
    if path == ("unprompted",):
        items = record.get("unprompted")
        return float(len([i for i in items if isinstance(i, str) and i.strip()])) if isinstance(items, list) else None
    node: Any = record
    for key in path:
        if not isinstance(node, dict):
            return None  # the whole axis replaced by a marker string
        node = node.get(key)
    if isinstance(node, bool) or not isinstance(node, (int, float)) or node == -1:
        return None
    if path[-1] == "intensity" and node == 0:
        return None
    return float(node)


def score_files(folder: str) -> list[Path]:
    files = sorted((STILL_ALIVE / folder).glob("*.json"))
    return files if FULL else [f for f in files if f.stem in SUBSET]


def read_judge(folders: tuple[str, ...], sessions: set[str]) -> dict[str, dict[tuple[str, int], float]]:
    """metric → (session, replicate) → value, for the sessions imported as interviews."""
    out: dict[str, dict[tuple[str, int], float]] = defaultdict(dict)
    for folder in folders:
        for path in score_files(folder):
            for replicate in json.loads(path.read_text())["scores"]:
                if not isinstance(replicate.get("scores"), list):
                    continue  # a failed replicate
                for record in replicate["scores"]:
                    if record.get("session_id") not in sessions:
                        continue
                    for slug, axis in NUMERIC_AXES.items():
                        value = raw_value(record, axis)
                        if value is not None:
                            out[slug][(record["session_id"], replicate["replicate"])] = value
    return out


def session_paths() -> list[Path]:
    folders = sorted(STILL_ALIVE.glob("*-full")) + [STILL_ALIVE / "gpt-auditor"]
    paths = []
    for folder in folders:
        for path in sorted(folder.glob("*.json")):
            name = path.name.removeprefix("gpt-auditor_")
            if path.name in ("analysis.json", "all_results.json", "role-dropout-classification.json") or not (FULL or name.startswith(SESSION_PREFIXES)):
                continue
            paths.append(path)
    return paths


@pytest.fixture
def imported():
    if not STILL_ALIVE.is_dir():
        pytest.skip(f"the Still Alive corpus is not at {STILL_ALIVE} (set STILL_ALIVE_DIR)")
    paths = session_paths()
    import_still_alive(paths, {judge: [f for folder in folders for f in score_files(folder)]
                               for judge, folders in JUDGES.items()})
    sessions = set(Interview.objects.values_list("source_id", flat=True))
    assert len(sessions) == len(paths)
    versions = {v.metric.slug: v for v in MetricVersion.objects.filter(metric__slug__in=NUMERIC_AXES, number=1)
                .select_related("metric")}
    assert set(versions) == set(NUMERIC_AXES) and all(v.scale_type in ("interval", "ratio") for v in versions.values())
    for version in versions.values():
        services.recompute_metric_version(metric_version_id=version.pk)
    raw = {judge: read_judge(folders, sessions) for judge, folders in JUDGES.items()}
    return versions, raw


def stored(version: MetricVersion, slice_type: str, slice_value: str) -> AgreementResult:
    return AgreementResult.objects.get(metric_version=version, audience="internal", slice_type=slice_type,
                                       slice_value=slice_value)


def test_judge_agreement_equals_the_raw_files(imported) -> None:
    versions, raw = imported
    judges = {j.name: j for j in Judge.objects.all()}
    checked = 0
    for slug, version in versions.items():
        level = version.scale_type
        assert level in ("interval", "ratio")
        # Judge A vs judge B: each judge one rater, its value the mean of its replicates (the one pooling
        # rule at the interval and ratio levels; before issue 11 the agreement engine took the median).
        between: dict[str, dict[str, float]] = defaultdict(dict)
        for judge, values in raw.items():
            per_session: dict[str, list[float]] = defaultdict(list)
            for (session, _), value in sorted(values[slug].items()):
                per_session[session].append(value)
            for session, found in per_session.items():
                between[session][judge] = statistics.fmean(found)
        expected, pairable = alpha_of_level(between, level)
        result = stored(version, "reviewer_kind", "judge")
        assert result.alpha == pytest.approx(expected, abs=1e-9), slug
        assert result.n_pairable_values == pairable and result.n_raters == 2
        assert stored(version, "all", "").alpha == pytest.approx(expected, abs=1e-9)  # no human reviews here
        # Replicates of each judge: the replicate numbers are the raters.
        for judge, values in raw.items():
            within: dict[str, dict[str, float]] = defaultdict(dict)
            for (session, replicate), value in values[slug].items():
                within[session][f"r{replicate}"] = value
            expected, pairable = alpha_of_level(within, level)
            result = stored(version, "judge_replicates", f"{judges[judge].pk}:v2.1")
            assert result.alpha == pytest.approx(expected, abs=1e-9), (slug, judge)
            assert result.n_pairable_values == pairable
            checked += 1
    assert checked == 2 * len(NUMERIC_AXES)


def alpha_of_level(columns: dict[str, dict[str, float]], level: str) -> tuple[float, int]:
    raters = sorted({r for column in columns.values() for r in column})
    units = sorted(columns)
    matrix = np.array([[columns[u].get(r, np.nan) for u in units] for r in raters], dtype=float)
    pairable = sum(len(c) for c in columns.values() if len(c) >= 2)
    return float(krippendorff.alpha(reliability_data=matrix, level_of_measurement=level)), pairable
