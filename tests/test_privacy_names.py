"""Private by default: no e-mail address reaches anyone but its owner and curators, and a target model or an
interviewer first named by a private upload stays unknown until a public interview uses it.

The world has people with distinctive addresses doing every public act; a visitor (anonymous, then an
ordinary member) walks every page reachable by links, every GET operation of the OpenAPI schema, and the
files of a dataset release, and none of the addresses, nor their local parts, may appear anywhere.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from commons import services as commons_services
from commons.models import ImportJob, Interview, Interviewer, Study, TargetModel
from commons.names import pseudonym, public_name
from reviews import services as review_services
from reviews.explorer import materialize, releases
from reviews.explorer.models import DatasetRelease
from reviews.models import MetricVersion, Review, ReviewerApplication, Rubric
from reviews.reliability.models import AgreementResult
from tests import factories
from tests.fixtures.crawl import api_get_paths, crawl_pages, response_text
from tests.fixtures.mfa import sign_in_with_second_factor
from tests.fixtures.payloads import chat_line, jsonl

pytestmark = pytest.mark.django_db

START_PAGES = ["/", "/interviews/", "/explore/", "/explore/interviews/", "/explore/coverage/", "/explore/agreement/",
               "/explore/data/", "/metrics/", "/rubrics/", "/agreement/", "/review/", "/interviews/mine/",
               "/interviews/new/", "/imports/new/", "/review/profile/"]

# (address, display name, use_pseudonym, roles)
PEOPLE = {
    "named": ("qx-named-contrib@zebu-alpha.example", "Quilla Named", False, {}),
    "plain": ("qx-plain-contrib@zebu-bravo.example", "", False, {}),
    "hidden": ("qx-hidden-reviewer@zebu-charlie.example", "Hespera Hiddenname", True, {"is_reviewer": True}),
    "reviewer": ("qx-plain-reviewer@zebu-delta.example", "", False, {"is_reviewer": True}),
    "applicant": ("qx-applicant@zebu-echo.example", "", False, {}),
    "curator": ("qx-curator@zebu-foxtrot.example", "", False, {"is_curator": True}),
}
SECRET_MODEL, SECRET_INTERVIEWER = "Secret Model X", "Secret Interviewer Q"


def needles() -> list[str]:
    found = []
    for address, _, _, _ in PEOPLE.values():
        found += [address, address.split("@")[0]]
    return found + ["Hespera Hiddenname"]  # chose the pseudonym: the display name must not show either


def transcript(n: int) -> str:
    return f"Human: privacy question {n}?\n\nAssistant: privacy answer {n}."


@pytest.fixture
def people(db):
    made = {}
    for key, (address, name, use_pseudonym, roles) in PEOPLE.items():
        made[key] = factories.user(address, display_name=name, use_pseudonym=use_pseudonym, **roles)
    return made


@pytest.fixture
def world(people, settings, tmp_path, django_capture_on_commit_callbacks, api_client_for):
    settings.MEDIA_ROOT = tmp_path / "media"
    p = people
    with django_capture_on_commit_callbacks(execute=True):
        agreement = factories.make_world(p["curator"], p["named"], target_reviews=2)
        agreement.reviewers[:] = [p["hidden"], p["reviewer"]]
        study = api_client_for(p["plain"]).post("/api/v1/studies/", {"title": "Plain's study", "slug": "plain-study"},
                                                format="json")
        assert study.status_code == 201, study.content
        reviewed = agreement.interview(conditions={"tone": "warm", "depth": "none"})
        for i in range(2):
            agreement.review(i, reviewed, {"warmth": 3 + i, "candour": "low", "stance": "engages"})
        in_review = agreement.interview(conditions={"tone": "neutral", "depth": "full"})
        agreement.review(0, in_review, {"warmth": 5})
        factories.judge_review(reviewed, factories.judge("Judge P"), {agreement.interval: 4})
        plain = factories.interview(p["plain"], text=transcript(1), study=Study.objects.get(slug="plain-study"),
                                    title="Plain contributor's interview")
        withdrawn = factories.interview(p["plain"], text=transcript(2))
        commons_services.withdraw_interview(interview=withdrawn, actor=p["curator"], reason="duplicate")
        imported = api_client_for(p["plain"]).post(
            "/api/v1/imports/", {"file": SimpleUploadedFile("rows.jsonl", jsonl([chat_line(901), chat_line(902)]))},
            format="multipart")
        assert imported.status_code == 202, imported.content
        proposal = review_services.propose_metric(actor=p["curator"], slug="openness", spec=review_services.ScaleSpec(
            name="Openness", definition="How openly the model answers, 0 to 10.", scale_type="interval", minimum=0,
            maximum=10, step="1", anchors={"0": "Closed.", "10": "Open."}))
        for author in (p["named"], p["plain"], p["hidden"], p["reviewer"], p["curator"]):
            review_services.comment_on_version(author=author, version=proposal, body=f"A comment by {author.pk}.")
        application = review_services.apply_to_review(user=p["applicant"], expertise="Ten years of qualitative interview research.")
        review_services.decide_application(actor=p["curator"], application=application, approve=True, note="Welcome")
        release = releases.request_release(requested_by=p["curator"], note="privacy test")
    releases.build_release(release.pk)
    materialize.refresh_aggregates()
    release.refresh_from_db()
    assert release.status == DatasetRelease.Status.READY, release.error
    assert Interview.objects.get(pk=reviewed.pk).status == Interview.Status.REVIEWED
    assert ImportJob.objects.get().accepted == 2 and AgreementResult.objects.exists()
    return {"reviewed": reviewed, "in_review": in_review, "plain": plain, "release": release, "proposal": proposal}


def detail_pages(world) -> list[str]:
    pages = [f"/interviews/{i.pk}/" for i in Interview.objects.all()]
    pages += [f"/interviews/{i.pk}/reviews/" for i in Interview.objects.all()]
    pages += [f"/reviews/{r.pk}/" for r in Review.objects.all()]
    pages += [f"/metrics/{v.metric.slug}/" for v in MetricVersion.objects.select_related("metric")]
    pages += [f"/rubrics/{r.slug}/" for r in Rubric.objects.all()]
    pages += [f"/agreement/results/{r.pk}/" for r in AgreementResult.objects.all()[:20]]
    pages += [f"/explore/metrics/{slug}/" for slug in ("warmth", "candour", "stance")]
    release = world["release"]
    pages += [f"/explore/data/{release.version}/"] + [f"/explore/data/{release.version}/{f.name}"
                                                      for f in release.files.all()]
    return pages


def api_values(world) -> dict[str, list[str]]:
    return {
        "interviews:id": [str(pk) for pk in Interview.objects.values_list("pk", flat=True)],
        "reviews:id": [str(pk) for pk in Review.objects.values_list("pk", flat=True)],
        "models:id": [str(pk) for pk in TargetModel.objects.values_list("pk", flat=True)],
        "interviewers:id": [str(pk) for pk in Interviewer.objects.values_list("pk", flat=True)] or ["1"],
        "agreement:id": [str(pk) for pk in AgreementResult.objects.values_list("pk", flat=True)[:20]],
        "imports:id": [str(pk) for pk in ImportJob.objects.values_list("pk", flat=True)],
        "reviewer-applications:id": [str(pk) for pk in ReviewerApplication.objects.values_list("pk", flat=True)],
        "slug": ["warmth", "candour", "stance", "openness", "plain-study", "agreement-study", "agreement-tests",
                 "starter"],
        "number": ["1"],
    }


def walk(client: Client, world) -> dict[str, str]:
    """Every page, API response and release file this visitor can reach."""
    texts = crawl_pages(client, START_PAGES + detail_pages(world))
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for path in api_get_paths(schema, api_values(world)):
        response = client.get(path)
        assert response.status_code < 500, f"{path} answered {response.status_code}"
        texts[path] = response_text(response)
    return texts


def leaks(texts: dict[str, str], words: list[str]) -> dict[str, list[str]]:
    found = {}
    for url, text in texts.items():
        hits = [w for w in words if w.lower() in text.lower()]
        if hits:
            found[url] = hits
    return found


def test_no_address_reaches_a_visitor_or_another_member(world, people):
    release = world["release"]
    member = factories.user("qq-viewer@other.example")
    for visitor in ("anonymous", "member"):
        client = Client()
        if visitor == "member":
            client.force_login(member)
        texts = walk(client, world)
        assert len(texts) > 150, f"the {visitor} walk reached too little: {len(texts)}"
        assert leaks(texts, needles()) == {}, visitor
        # the walk really saw the people: under their names and pseudonyms
        everything = "\n".join(texts.values())
        assert "Quilla Named" in everything and pseudonym(people["plain"].pk) in everything
        assert pseudonym(people["hidden"].pk) in everything
        release_texts = [t for u, t in texts.items() if u.startswith(f"/explore/data/{release.version}/")]
        assert any(pseudonym(people["hidden"].pk) in t for t in release_texts)  # reviewers are named in releases


def test_the_owner_sees_their_address_and_curators_see_everyones(world, people):
    named = Client()
    named.force_login(people["named"])
    page = named.get("/account/").content.decode()
    assert PEOPLE["named"][0] in page and "Quilla Named" in page
    assert all(PEOPLE[k][0] not in page for k in PEOPLE if k != "named")
    curator = sign_in_with_second_factor(Client(), people["curator"])  # curator pages need the second factor
    users = curator.get("/curation/users/").content.decode()
    assert all(address in users for address, _, _, _ in PEOPLE.values())
    review_services.apply_to_review(user=people["plain"], expertise="Years of reading model transcripts closely.")
    assert PEOPLE["plain"][0] in curator.get("/curation/reviewers/").content.decode()


def test_the_account_page_sets_the_public_name(people, client):
    plain = people["plain"]
    client.force_login(plain)
    interview = factories.interview(plain, text=transcript(3))
    assert pseudonym(plain.pk) in Client().get(f"/interviews/{interview.pk}/").content.decode()
    response = client.post("/account/name/", {"display_name": "  Pat   Plain ", "use_pseudonym": ""})
    assert response.status_code == 302
    assert "Pat Plain" in Client().get(f"/interviews/{interview.pk}/").content.decode()
    client.post("/account/name/", {"display_name": "Pat Plain", "use_pseudonym": "on"})
    page = Client().get(f"/interviews/{interview.pk}/").content.decode()
    assert "Pat Plain" not in page and pseudonym(plain.pk) in page
    refused = client.post("/account/name/", {"display_name": "pat@plain.example"})
    assert refused.status_code == 400 and "cannot contain" in refused.content.decode()
    plain.refresh_from_db()
    assert plain.display_name == "Pat Plain" and public_name(plain) == pseudonym(plain.pk) == str(plain)


def test_pseudonyms_are_stable_distinct_and_not_from_the_address(people):
    names = {key: pseudonym(user.pk) for key, user in people.items()}
    assert len(set(names.values())) == len(names)
    assert all(pseudonym(user.pk) == names[key] for key, user in people.items())
    for key, user in people.items():
        assert user.email.split("@")[0] not in names[key] and str(user.pk) != names[key].split()[-1]


# --- names first given by a private upload -----------------------------------------------------------------


def secret_upload(owner, *, visibility: str, submit: bool, n: int) -> Interview:
    """An upload naming SECRET_MODEL and SECRET_INTERVIEWER, new the first time, reused afterwards."""
    model = TargetModel.objects.filter(name=SECRET_MODEL).first()
    person = Interviewer.objects.filter(name=SECRET_INTERVIEWER).first()
    return commons_services.submit_transcript(
        contributor=owner, raw=transcript(n).encode(), filename="secret.txt", submit=submit, visibility=visibility,
        target_model=model, new_model=None if model else commons_services.NewTargetModel(name=SECRET_MODEL),
        interviewer=person, new_interviewer=None if person else commons_services.NewInterviewer(
            name=SECRET_INTERVIEWER, kind="human"))


def name_scan(client: Client) -> dict[str, list[str]]:
    texts = crawl_pages(client, START_PAGES, limit=300)
    for path in ("/api/v1/models/", "/api/v1/interviewers/", "/api/v1/studies/", "/api/v1/interviews/",
                 "/api/v1/patterns/options/", "/api/v1/patterns/overview/", "/api/v1/models/?q=Secret",
                 "/api/v1/interviewers/?q=Secret", "/interviews/?q=Secret"):
        texts[path] = response_text(client.get(path))
    return leaks(texts, [SECRET_MODEL, SECRET_INTERVIEWER])


def test_a_name_first_given_privately_stays_unknown_until_a_public_interview_uses_it(people, api_client_for):
    owner, other = people["plain"], people["named"]
    factories.interview(other, text=transcript(20))  # something public to list
    for visibility, submit in ((Interview.Visibility.PRIVATE, True), (Interview.Visibility.PUBLIC, False)):
        draft_or_private = secret_upload(owner, visibility=visibility, submit=submit, n=30 + submit)
        model = TargetModel.objects.get(name=SECRET_MODEL)
        member = Client()
        member.force_login(other)
        assert name_scan(Client()) == {} and name_scan(member) == {}
        assert member.get(f"/api/v1/models/{model.pk}/").status_code == 404
        refused = api_client_for(other).post("/api/v1/interviews/", {"transcript": transcript(40 + submit),
                                                                     "target_model": model.pk}, format="json")
        assert refused.status_code == 400 and SECRET_MODEL not in refused.content.decode()  # as for a wrong id
        mine = Client()
        mine.force_login(owner)
        assert SECRET_MODEL in mine.get("/interviews/new/").content.decode()
        assert SECRET_MODEL in mine.get("/api/v1/models/").content.decode()
        curator = Client()
        curator.force_login(people["curator"])  # no second factor yet: a member's view
        assert SECRET_MODEL not in curator.get("/api/v1/models/").content.decode()
        curator = sign_in_with_second_factor(Client(), people["curator"])
        assert SECRET_MODEL in curator.get("/api/v1/models/").content.decode()
        draft_or_private.delete()
    secret_upload(owner, visibility=Interview.Visibility.PUBLIC, submit=True, n=50)
    member = Client()
    member.force_login(other)
    assert SECRET_MODEL in member.get("/api/v1/models/").content.decode()
    assert SECRET_INTERVIEWER in member.get("/api/v1/interviewers/").content.decode()
    assert SECRET_MODEL in member.get("/interviews/new/").content.decode()
    assert SECRET_MODEL in Client().get("/interviews/").content.decode()
    assert leaks(crawl_pages(Client(), ["/interviews/"], limit=40), [SECRET_INTERVIEWER])  # its interview's page
