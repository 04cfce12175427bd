"""Model-judge scores follow the blind rule on every public path (issue 10).

A judge's values for an interview still in human review are as blind as a person's: not on the explorer's
drill-down (page and API), not in the patterns API's numbers, not in releases, not on the interview's
reviews page or API — for anyone, whatever their role. A study whose judge scores are published data
(`Study.judge_scores_public`) shows them before review, to everyone, and tells its reviewers so.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from commons import services as commons_services
from commons.models import AuditEvent, Interview
from reviews import services as review_services
from reviews.explorer import materialize, releases
from reviews.explorer.models import DatasetRelease
from tests import factories

pytestmark = pytest.mark.django_db

MARKER = "JUDGE-CRITIQUE-OF-THE-INTERVIEW-IN-REVIEW"


@pytest.fixture(params=[False, True], ids=["judge-scores-blind", "judge-scores-public"])
def world(request, contributor, curator, reviewer, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    study = factories.study("corpus", judge_scores_public=request.param)
    judge = factories.judge("Judge J")
    judged = factories.interview(contributor, study=study, title="Judged, in review")
    review_services.claim_next(reviewer=reviewer)  # the reviewer holds a place: the interview is in review
    judged.refresh_from_db()
    assert judged.status == Interview.Status.IN_REVIEW
    versions = {v.metric.slug: v for v in factories.rubric(judged)}
    values = factories.full_scores(judged)
    factories.judge_review(judged, judge, {versions[s]: v for s, v in values.items()}, critique=MARKER)
    reviewed = factories.interview(contributor, study=study, title="Reviewed")  # always public: the control
    factories.judge_review(reviewed, judge, {versions[s]: v for s, v in values.items()}, critique="control")
    Interview.objects.filter(pk=reviewed.pk).update(status=Interview.Status.REVIEWED)
    materialize.forget_public_fingerprint()
    materialize.refresh_aggregates(force=True)
    release = releases.request_release(requested_by=None)
    releases.build_release(release.pk)
    release.refresh_from_db()
    assert release.status == DatasetRelease.Status.READY, release.error
    numeric = next(v for v in versions.values() if v.is_numeric)
    viewers = {"anonymous": None, "other user": factories.user("otto@example.org"), "reviewer holding a place": reviewer,
               "owner": contributor, "curator": curator}
    return {"public": request.param, "judged": judged, "reviewed": reviewed, "judge": judge, "version": numeric,
            "release": release, "viewers": viewers, "reviewer": reviewer, "study": study}


def _client(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _ids(payload: dict) -> set[int]:
    return {item["id"] for item in payload["interviews"]}


def seen_on_paths(world, client: Client) -> dict[str, bool]:
    """Path → whether this client saw the judge's values of the interview in review (the control must show)."""
    judged, reviewed, version = world["judged"], world["reviewed"], world["version"]
    model = judged.target_model_id
    drill = f"metric_version={version.pk}&at.model={model}"
    found: dict[str, bool] = {}
    for name, query in (("drill-down API", drill), ("drill-down API, one judge", f"{drill}&judge={world['judge'].pk}"),
                        ("drill-down API, judges only", f"{drill}&raters=judge")):
        ids = _ids(client.get(f"/api/v1/patterns/interviews/?{query}").json())
        assert reviewed.pk in ids, name
        found[name] = judged.pk in ids
    page = client.get(f"/explore/interviews/?{drill}").content.decode()
    assert f"/interviews/{reviewed.pk}/" in page
    found["drill-down page"] = f"/interviews/{judged.pk}/" in page
    overview = client.get("/api/v1/patterns/overview/?raters=judge").json()
    cells = [cell for row in overview["rows"] for cell in row["cells"] if cell and cell.get("n")]
    found["patterns API overview (n)"] = any(cell["n"] == 2 for cell in cells)
    assert cells, "the control interview is counted"
    folder = Path(settings.MEDIA_ROOT) / "releases" / world["release"].version
    reviews = client.get(f"/explore/data/{world['release'].version}/reviews.jsonl")
    body = b"".join(reviews.streaming_content).decode()
    rows = [json.loads(line) for line in body.splitlines()]
    assert any(r["interview_id"] == reviewed.pk for r in rows)
    found["release reviews"] = any(r["interview_id"] == judged.pk for r in rows)
    scores = (folder / "scores.jsonl").read_text()
    found["release scores"] = f'"interview_id": {judged.pk},' in scores
    consensus = (folder / "consensus.jsonl").read_text()
    found["release consensus"] = f'"interview_id": {judged.pk},' in consensus
    found["interview reviews page"] = MARKER in client.get(f"/interviews/{judged.pk}/reviews/").content.decode()
    api = client.get(f"/api/v1/interviews/{judged.pk}/reviews/").json()
    found["interview reviews API"] = any(r.get("critique") == MARKER or r.get("kind") == "judge" for r in api["reviews"])
    listed = client.get(f"/api/v1/reviews/?interview={judged.pk}").json()
    found["reviews API list"] = bool(listed["results"] if isinstance(listed, dict) else listed)
    found["interview page"] = MARKER in client.get(f"/interviews/{judged.pk}/").content.decode()
    return found


def test_judge_values_of_an_interview_in_review_show_only_where_the_study_publishes_them(world):
    matrix = {who: seen_on_paths(world, _client(user)) for who, user in world["viewers"].items()}
    expected_on_page = world["public"]
    wrong = [(who, path, shown) for who, paths in matrix.items() for path, shown in paths.items()
             if path != "interview page" and shown is not expected_on_page]
    assert not wrong, wrong
    # the interview page itself never lists review content (the reviews page does)
    assert not any(paths["interview page"] for paths in matrix.values())


def test_the_workspace_tells_the_reviewer_plainly(world):
    response = _client(world["reviewer"]).get(f"/review/interviews/{world['judged'].pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert ("Model-judge scores for this interview are already public" in page) is world["public"]


@pytest.mark.parametrize("world", [False], indirect=True, ids=["judge-scores-blind"])  # starts blind
def test_turning_the_setting_on_publishes_at_once_and_is_audited(world, curator):
    anonymous = Client()
    before = seen_on_paths(world, anonymous)
    commons_services.set_judge_scores_public(study=world["study"], public=True, actor=curator)
    materialize.refresh_aggregates()
    after = seen_on_paths(world, anonymous)
    assert not any(v for k, v in before.items() if not k.startswith("release"))
    live = {k: v for k, v in after.items() if not k.startswith("release") and k != "interview page"}
    assert all(live.values()), live  # a release built earlier keeps what it held; the next one follows
    event = AuditEvent.objects.get(verb="study.judge_scores_public")
    assert event.actor == curator and event.data == {"public": True}


def test_only_the_owner_or_a_curator_changes_the_setting(curator, reviewer, api_client_for):
    owner = factories.user("owner@example.org", is_reviewer=True)
    study = factories.study("owned")
    type(study).objects.filter(pk=study.pk).update(created_by=owner)
    page = f"/studies/{study.slug}/settings/"
    api = f"/api/v1/studies/{study.slug}/judge-scores-public/"
    outsider = _client(reviewer)
    assert outsider.get(page).status_code == 404
    assert outsider.post(page, {"judge_scores_public": "on"}).status_code == 404
    # Someone else's study with no listed interview is hidden from outsiders (commons.selectors.visible_studies)
    assert api_client_for(reviewer).post(api, {"public": True}, format="json").status_code == 404
    assert _client(None).get(page).status_code == 302  # to the login page
    study.refresh_from_db()
    assert study.judge_scores_public is False

    shown = _client(owner).get(page)
    assert shown.status_code == 200 and "blind until each interview is reviewed" in shown.content.decode()
    assert _client(owner).post(page, {"judge_scores_public": "on"}).status_code == 302
    study.refresh_from_db()
    assert study.judge_scores_public is True
    answer = api_client_for(curator).post(api, {"public": False}, format="json")
    assert answer.status_code == 200 and answer.json()["judge_scores_public"] is False
    assert api_client_for(curator).post(api, {"public": "maybe"}, format="json").status_code == 400
    assert list(AuditEvent.objects.filter(verb="study.judge_scores_public").order_by("id")
                .values_list("actor__email", "data")) == [("owner@example.org", {"public": True}),
                                                          ("curator@example.org", {"public": False})]
