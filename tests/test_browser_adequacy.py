"""The coverage page's interview-adequacy table and the derived ending-response page in headless Chromium,
desktop and phone, on a slice of the real Still Alive corpus (screenshots in test-artifacts/)."""

from __future__ import annotations

import pytest

from reviews.explorer import materialize
from tests.fixtures.environment import STILL_ALIVE
from tests.fixtures.still_alive import import_still_alive

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

MODELS = [("opus-4-full", "claude-4_opus", "claude_4_opus"), ("sonnet-35-full", "claude-35_sonnet", "claude_3.5_sonnet")]


@pytest.fixture
def still_alive():
    if not (STILL_ALIVE / "adequacy-scores").is_dir():
        pytest.skip(f"the Still Alive corpus is not at {STILL_ALIVE}")
    sessions, scores, adequacy = [], [], []
    for folder, prefix, name in MODELS:
        sessions += sorted((STILL_ALIVE / folder).glob(f"{prefix}_*.json"))
        sessions += sorted((STILL_ALIVE / "gpt-auditor").glob(f"gpt-auditor_{prefix}_*.json"))
        scores += [STILL_ALIVE / "scores-v2.1" / f"{name}.json", STILL_ALIVE / "scores-gpt-v2.1" / f"{name}.json"]
        adequacy += [STILL_ALIVE / "adequacy-scores" / f"claude_{name}.json",
                     STILL_ALIVE / "adequacy-scores" / f"gpt-5.4_{name}.json"]
    import_still_alive(sessions, {"Opus judge": scores, None: adequacy})
    materialize.refresh_aggregates(force=True)


@pytest.mark.parametrize("width", [1280, 390])
def test_adequacy_and_ending_response_pages(still_alive, browser, live_server, artifacts_dir, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        page.goto(f"{live_server.url}/explore/coverage/")
        table = page.locator("table.adequacy")
        table.wait_for()
        assert table.locator("tbody tr").count() >= 20
        assert "substantive-probe" in table.inner_text() and "Wilson" in page.content()
        assert page.locator("ul.gaps li").first.inner_text().startswith("Coverage: ")
        # Wide tables scroll inside their own box, which fits the screen.
        section = page.locator("section[aria-labelledby=adequacy-title]")
        assert section.locator(".table-scroll").bounding_box()["width"] <= width
        section.screenshot(path=str(artifacts_dir / f"coverage-adequacy-{width}.png"))
        page.screenshot(path=str(artifacts_dir / f"coverage-page-{width}.png"), full_page=True)
        page.goto(f"{live_server.url}/explore/metrics/ending-response/")
        note = page.locator(".derived-note")
        assert "Derived metric" in note.inner_text() and note.locator("a").count() == 2
        page.screenshot(path=str(artifacts_dir / f"ending-response-{width}.png"))
        page.screenshot(path=str(artifacts_dir / f"ending-response-page-{width}.png"), full_page=True)
    finally:
        context.close()
