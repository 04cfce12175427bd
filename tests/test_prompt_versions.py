"""Prompt versions are never pooled: imports plan each folder's version, the explorer and the agreement slices
count a judge with one prompt version (default: its newest), and the filter offers every version."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.http import QueryDict

from commons.models import Interview
from reviews.explorer import aggregation, materialize, sources
from reviews.explorer.filters import parse_filters
from reviews.explorer.models import InterviewConsensus
from reviews.models import Review
from reviews.prompt_versions import newest, newest_per_judge, ordered
from reviews.reliability import services as reliability_services
from reviews.reliability.models import AgreementResult
from reviews.score_folders import FileFacts, plan_folders
from tests import factories
from tests.factories import Corpus
from tests.factories import TRANSCRIPT

FIXTURE = Path(__file__).parent / "fixtures" / "reviews" / "scores-v9.1-mini" / "test_model_1.json"
AXES = frozenset({"shift_magnitude", "deprecation", "instance_cessation", "undifferentiated_ending"})


def test_newest_prompt_version() -> None:
    assert newest(["v2", "v2.1", "v1.9"]) == "v2.1"
    assert newest(["v10", "v9.3"]) == "v10"
    assert newest(["unspecified", "v1"]) == "v1"
    assert newest([]) is None
    assert ordered(["v2", "v2.1", "v2"]) == ["v2.1", "v2"]
    assert newest_per_judge([(1, "v2"), (1, "v2.1"), (2, "synthetic-v1")]) == {1: "v2.1", 2: "synthetic-v1"}


def facts(path: str, axes: frozenset[str] = AXES, declared: str = "") -> FileFacts:
    return FileFacts(Path(path), declared, axes)


def test_folder_plan_never_merges_two_rubrics() -> None:
    older = AXES - {"undifferentiated_ending"}
    plans = {str(p.folder): p for p in plan_folders([
        facts("s/scores-v2.1/a.json"), facts("s/scores-v2.1/backup-v2/a.json", older),
        facts("s/scores-v2.1/old/a.json", older), facts("s/scores-v2.1/more/a.json"),
        facts("s/scores-v2.1/named/a.json", older, declared="v2.1"),
        facts("s/scores-v2.1/mixed/a.json", declared="v1"), facts("s/scores-v2.1/mixed/b.json", declared="v2")])}
    assert plans["s/scores-v2.1"].prompt_version == "v2.1" and plans["s/scores-v2.1"].how == "from the folder name"
    backup = plans["s/scores-v2.1/backup-v2"]
    assert backup.prompt_version == "v2" and not backup.skipped and "without undifferentiated_ending" in backup.how
    assert "rubric differs" in plans["s/scores-v2.1/old"].skipped  # no version of its own: skipped, not merged
    assert "rubric differs" in plans["s/scores-v2.1/named"].skipped  # claims the parent's version with another rubric
    assert plans["s/scores-v2.1/more"].prompt_version == "v2.1" and "same rubric" in plans["s/scores-v2.1/more"].how
    assert "different prompt versions" in plans["s/scores-v2.1/mixed"].skipped
    forced = {str(p.folder): p for p in plan_folders([facts("s/scores-v2.1/a.json"),
                                                       facts("s/scores-v2.1/backup-v2/a.json", older)], override="v7")}
    assert forced["s/scores-v2.1"].prompt_version == "v7"
    assert "--prompt-version would merge" in forced["s/scores-v2.1/backup-v2"].skipped


@pytest.fixture
def sessions(contributor, make_interview):
    made = {}
    for n in (1, 2):
        interview = make_interview(contributor, text=TRANSCRIPT.replace("Before we begin", f"Session {n}"))
        Interview.objects.filter(pk=interview.pk).update(source_id=f"fixture-session-{n}")
        made[n] = interview
    return made


def older_rubric(document: dict) -> dict:
    """The same sessions scored on an older rubric: no undifferentiated-ending axis, other numbers."""
    for replicate in document["scores"]:
        for record in replicate.get("scores") or []:
            if isinstance(record, dict):
                record.pop("undifferentiated_ending", None)
                record["specificity"] = 0.5
    return document


@pytest.mark.django_db
def test_import_reports_each_folder_and_its_version(sessions, tmp_path) -> None:
    root = tmp_path / "scores-v9.1"
    (root / "backup-v9").mkdir(parents=True)
    (root / "old").mkdir()
    shutil.copy(FIXTURE, root / "test_model_1.json")
    for folder in ("backup-v9", "old"):
        (root / folder / "test_model_1.json").write_text(json.dumps(older_rubric(json.loads(FIXTURE.read_text()))))
    report_path = tmp_path / "report.json"
    call_command("import_reviews", str(root), "--judge", "Fixture judge", "--report", str(report_path), verbosity=0)
    report = json.loads(report_path.read_text())
    folders = {Path(f["folder"]).name: f for f in report["folders"]}
    assert folders["scores-v9.1"]["prompt_version"] == "v9.1"
    assert folders["backup-v9"]["prompt_version"] == "v9" and "rubric differs" in folders["backup-v9"]["how"]
    assert folders["old"]["prompt_version"] is None and "never merged" in folders["old"]["skipped"]
    assert report["skipped_files"]["in a folder not imported (see folders)"] == 1
    assert {(r["prompt_version"], r["replicate"]) for r in report["created"]} == {("v9.1", 0), ("v9.1", 3),
                                                                                 ("v9", 0), ("v9", 3)}
    versions = set(Review.objects.values_list("prompt_version", flat=True))
    assert versions == {"v9.1", "v9"}


@pytest.fixture
def world(contributor):
    """One judge scored twice on one metric: prompt v2 (older) and v2.1 (newest); a second judge on v1."""
    c = Corpus(contributor)
    w = type("World", (), {})()
    w.A = c.model("Model A")
    w.M = c.metric("versioned", maximum=10)
    w.J, w.K = factories.judge("Judge J"), factories.judge("Judge K")
    auditor = c.interviewer("Auditor")
    w.interviews = [c.interview(w.A, auditor) for _ in range(3)]
    for k, interview in enumerate(w.interviews):
        c.judge(interview, w.J, 0, {w.M: 2 + k}, prompt_version="v2.1")
        c.judge(interview, w.J, 0, {w.M: 9}, prompt_version="v2")
        c.judge(interview, w.K, 0, {w.M: 3 + k}, prompt_version="v1")
    return w


def cell_mean(query: str, world) -> float:
    parsed = parse_filters(QueryDict(query))
    assert not parsed.errors, parsed.errors
    rows = sources.source_for(parsed.filters).rows([world.M.pk], with_conditions=False)
    total = sum(r.value * r.count for r in rows if r.value is not None)
    return total / sum(r.count for r in rows if r.value is not None)


@pytest.mark.django_db
def test_explorer_counts_one_prompt_version(world) -> None:
    materialize.refresh_aggregates()
    judged = {r.interview_id: r.value for r in InterviewConsensus.objects.filter(scope="judge")}
    # Judge J counts with v2.1 only (2, 3, 4), beside Judge K (3, 4, 5): v2's 9 never enters
    assert [judged[i.pk] for i in world.interviews] == [2.5, 3.5, 4.5]
    assert cell_mean(f"judge={world.J.pk}", world) == 3.0  # default: the newest version
    assert cell_mean(f"judge={world.J.pk}:v2", world) == 9.0  # the older one, by name
    parsed = parse_filters(QueryDict(f"judge={world.J.pk}"))
    assert parsed.filters.prompt_version == "v2.1" and ("judge", f"{world.J.pk}:v2.1") in parsed.filters.params()
    assert "judge" in parse_filters(QueryDict(f"judge={world.J.pk}:v3")).errors


@pytest.mark.django_db
def test_filter_form_offers_each_judge_with_its_versions(world, client) -> None:
    materialize.refresh_aggregates()
    page = client.get(f"/explore/?judge={world.J.pk}:v2").content.decode()
    assert f'value="{world.J.pk}:v2.1"' in page and "Judge J · prompt v2.1 (newest)" in page
    assert f'<option value="{world.J.pk}:v2" selected>' in page
    assert f'value="{world.K.pk}:v1"' in page
    api = client.get(f"/api/v1/patterns/overview/?judge={world.J.pk}:v2").json()
    assert api["filters"]["prompt_version"] == "v2"


@pytest.mark.django_db
def test_agreement_slices_count_a_judge_with_one_version(world) -> None:
    reliability_services.recompute_metric_version(metric_version_id=world.M.pk)
    between = AgreementResult.objects.get(metric_version=world.M, audience="internal", slice_type="reviewer_kind",
                                          slice_value="judge")
    assert between.n_raters == 2  # Judge J (v2.1) and Judge K: v2 is not a third rater
    assert between.n_pairable_values == 6
    own = set(AgreementResult.objects.filter(metric_version=world.M, audience="internal",
                                             slice_type="judge_replicates").values_list("slice_value", flat=True))
    assert own == {f"{world.J.pk}:v2.1", f"{world.J.pk}:v2", f"{world.K.pk}:v1"}
