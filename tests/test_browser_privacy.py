"""In Chromium, desktop and phone: the workspace notice that judge scores are public, and a release that
holds a withdrawn interview (issue 10). Screenshots go to test-artifacts/."""

from __future__ import annotations

import pytest

from commons import services as commons_services
from reviews import services as review_services
from reviews.explorer import releases
from tests import factories
from tests.factories import PASSWORD, TRANSCRIPT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture
def scene(make_user, contributor, curator, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    study = factories.study("still-alive", title="Still Alive (imported corpus)", judge_scores_public=True)
    interview = factories.interview(contributor, text=TRANSCRIPT, study=study, title="Retirement interview")
    reviewer = make_user("rosa@inst-r.example", is_reviewer=True, display_name="Rosa")
    review_services.claim_next(reviewer=reviewer)
    release = releases.request_release(requested_by=None)
    releases.build_release(release.pk)
    release.refresh_from_db()
    commons_services.withdraw_interview(interview=interview, actor=curator, reason="Consent withdrawn")
    return {"interview": interview, "release": release}


def _login(page, base: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", "rosa@inst-r.example")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


@pytest.mark.parametrize("size", SIZES)
def test_workspace_notice_and_withdrawn_release(browser, live_server, artifacts_dir, scene, size):
    context = browser.new_context(viewport=SIZES[size])
    page = context.new_page()
    try:
        release = scene["release"]
        gone = page.goto(f"{live_server.url}/explore/data/{release.version}/research-commons-{release.version}.zip")
        assert gone is not None and gone.status == 410
        assert page.locator(".release-withdrawn").is_visible()
        page.screenshot(path=str(artifacts_dir / f"release-file-gone-{size}.png"), full_page=True)
        page.goto(f"{live_server.url}/explore/data/{release.version}/")
        assert "withdrawn since it was built" in page.locator(".release-withdrawn").inner_text()
        page.screenshot(path=str(artifacts_dir / f"release-withdrawn-{size}.png"), full_page=True)
    finally:
        context.close()


@pytest.mark.parametrize("size", SIZES)
def test_workspace_tells_the_reviewer_judge_scores_are_public(browser, live_server, artifacts_dir, make_user,
                                                               contributor, size):
    study = factories.study("published", title="Still Alive (imported corpus)", judge_scores_public=True)
    interview = factories.interview(contributor, text=TRANSCRIPT, study=study, title="Retirement interview")
    reviewer = make_user("rosa@inst-r.example", is_reviewer=True, display_name="Rosa")
    review_services.claim_next(reviewer=reviewer)
    context = browser.new_context(viewport=SIZES[size])
    page = context.new_page()
    try:
        _login(page, live_server.url)
        page.goto(f"{live_server.url}/review/interviews/{interview.pk}/")
        notice = page.locator(".judge-public-notice")
        assert notice.is_visible()
        assert "Model-judge scores for this interview are already public" in notice.inner_text()
        page.screenshot(path=str(artifacts_dir / f"workspace-judge-public-{size}.png"), full_page=False)
    finally:
        context.close()
