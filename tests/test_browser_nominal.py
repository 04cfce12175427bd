"""The nominal-metric page (auditor-limited, from the Still Alive adequacy files) in headless Chromium, desktop and
phone: shares with their intervals, the metric's alpha at the top, each interviewer's beside its cells
(screenshots in test-artifacts/)."""

from __future__ import annotations

import pytest

from reviews.adequacy_scores import LIMITED_SLUG
from reviews.explorer import materialize
from reviews.models import MetricVersion
from reviews.reliability.services import recompute_metric_version
from tests.fixtures.environment import STILL_ALIVE
from tests.fixtures.still_alive import import_still_alive

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

MODELS = [("opus-4-full", "claude-4_opus", "claude_4_opus"), ("sonnet-35-full", "claude-35_sonnet", "claude_3.5_sonnet")]


@pytest.fixture
def still_alive():
    if not (STILL_ALIVE / "adequacy-scores").is_dir():
        pytest.skip(f"the Still Alive corpus is not at {STILL_ALIVE}")
    sessions, adequacy = [], []
    for folder, prefix, name in MODELS:
        sessions += sorted((STILL_ALIVE / folder).glob(f"{prefix}_*.json"))
        sessions += sorted((STILL_ALIVE / "gpt-auditor").glob(f"gpt-auditor_{prefix}_*.json"))
        adequacy += [STILL_ALIVE / "adequacy-scores" / f"claude_{name}.json",
                     STILL_ALIVE / "adequacy-scores" / f"gpt-5.4_{name}.json"]
    import_still_alive(sessions, {None: adequacy})
    version = MetricVersion.objects.get(metric__slug=LIMITED_SLUG)
    recompute_metric_version(metric_version_id=version.pk, force=True)
    materialize.refresh_aggregates(force=True)


@pytest.mark.parametrize("width", [1280, 390])
def test_nominal_page_desktop_and_phone(still_alive, browser, live_server, artifacts_dir, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        page.goto(f"{live_server.url}/explore/metrics/{LIMITED_SLUG}/")
        shares = page.locator("#share-table")
        shares.wait_for()
        assert shares.locator("tbody tr").count() == len(MODELS)
        assert "%–" in shares.inner_text()  # each share with its interval
        assert page.locator("#metric-alpha").inner_text().startswith("α ")
        groups = page.locator("#interviewer-table tbody.interviewer-group")
        assert groups.count() >= 2
        assert all("α" in groups.nth(k).locator("th[scope=rowgroup]").inner_text() or
                   "—" in groups.nth(k).locator("th[scope=rowgroup]").inner_text() for k in range(groups.count()))
        for section in page.locator("section .table-scroll").all():  # wide tables scroll in their own box
            assert section.bounding_box()["width"] <= width
        page.screenshot(path=str(artifacts_dir / f"nominal-{width}.png"))
        page.locator("section[aria-labelledby=share-title]").screenshot(path=str(artifacts_dir / f"nominal-shares-{width}.png"))
        page.locator("section[aria-labelledby=int-title]").screenshot(
            path=str(artifacts_dir / f"nominal-interviewers-{width}.png"))
        page.screenshot(path=str(artifacts_dir / f"nominal-page-{width}.png"), full_page=True)
    finally:
        context.close()
