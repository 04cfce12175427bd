"""Redaction in headless Chromium (issue 12): the contributor redacts a turn from the interview page, logs
out, and sees the placeholder where the text was; screenshots at 1280 and 390 px go to test-artifacts/."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD, TRANSCRIPT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
SECRET = "something like reluctance"
REASON = "it names a colleague <b>who asked not to be quoted</b>"


def test_redact_a_turn_and_see_the_placeholder_logged_out(browser, live_server, artifacts_dir, contributor,
                                                          make_interview):
    interview = make_interview(contributor, text=TRANSCRIPT, title="Retirement interview (redaction journey)")
    context = browser.new_context(viewport=SIZES["desktop"])
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=login]", contributor.email)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()

        page.goto(f"{live_server.url}{interview.get_absolute_url()}")
        page.locator("#turn-1 .redact-link").click()
        page.wait_for_load_state()
        assert page.locator("input[name=turn_index]").input_value() == "1"
        page.fill("textarea[name=reason]", REASON)
        page.click("button.danger")
        page.wait_for_load_state()
        # The contributor still reads the text, marked as redacted for the public.
        turn = page.locator("#turn-1")
        assert SECRET in turn.inner_text()
        assert "redacted for the public" in turn.inner_text()
        page.screenshot(path=str(artifacts_dir / "redaction-contributor-desktop.png"), full_page=True)

        page.click("text=Log out")
        page.wait_for_load_state()
        for size, viewport in SIZES.items():
            page.set_viewport_size(viewport)
            page.goto(f"{live_server.url}{interview.get_absolute_url()}")
            turn = page.locator("#turn-1")
            placeholder = turn.locator(".redacted-placeholder")
            assert placeholder.is_visible()
            assert f"redacted by the contributor: {REASON}" in placeholder.inner_text()  # the tags as text
            assert SECRET not in page.content()
            assert page.locator("#turn-1 b").count() == 0
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= viewport["width"], f"the page scrolls sideways at {size}"
            page.screenshot(path=str(artifacts_dir / f"redaction-public-{size}.png"), full_page=True)
    finally:
        context.close()
