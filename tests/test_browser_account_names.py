"""Choosing how you appear, in headless Chromium: set a display name on /account/, see it on your interview
page (never the e-mail), switch to the pseudonym; at desktop and phone widths."""

from __future__ import annotations

import pytest

from commons.names import pseudonym
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ADDRESS = "ottilie.browser@lab-seven.example"


def log_in(page, live_server) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", ADDRESS)
    page.fill("input[name=password]", factories.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_display_name_then_pseudonym_on_the_interview_page(page, live_server, artifacts_dir):
    user = factories.user(ADDRESS)
    interview = factories.interview(user, title="A conversation about endings")
    log_in(page, live_server)
    page.goto(f"{live_server.url}/account/")
    assert ADDRESS in page.inner_text("main") and pseudonym(user.pk) in page.inner_text("main")
    page.fill("input[name=display_name]", "Ottilie Brauer")
    page.click("#public-name ~ form button[type=submit]")
    page.wait_for_load_state()
    assert "You now appear as “Ottilie Brauer”" in page.inner_text("body")
    for width, label in ((1280, "desktop"), (390, "phone")):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}/account/")
        page.screenshot(path=str(artifacts_dir / f"account-{label}.png"), full_page=True)
    anonymous = page.context.browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    for width, label in ((1280, "desktop"), (390, "phone")):
        anonymous.set_viewport_size({"width": width, "height": 900})
        anonymous.goto(f"{live_server.url}/interviews/{interview.pk}/")
        text = anonymous.inner_text("body")
        assert "Ottilie Brauer" in text and "ottilie.browser" not in anonymous.content()
        anonymous.screenshot(path=str(artifacts_dir / f"interview-names-{label}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/account/")
    page.check("input[name=use_pseudonym]")
    page.click("#public-name ~ form button[type=submit]")
    page.wait_for_load_state()
    anonymous.goto(f"{live_server.url}/interviews/{interview.pk}/")
    assert pseudonym(user.pk) in anonymous.inner_text("body") and "Ottilie" not in anonymous.content()
    anonymous.context.close()
