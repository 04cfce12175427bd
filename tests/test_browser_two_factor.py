"""Two-factor sign-in in Chromium: a member sets up an authenticator app from /account/; a curator signs in
with a code and opens a curator page. Screenshots at desktop and phone widths go to test-artifacts/."""

from __future__ import annotations

import re
import time

import pytest

from commons.totp import code_at
from tests.factories import PASSWORD
from tests.fixtures.mfa import current_code, sign_in_with_second_factor_in_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WIDTHS = {"desktop": 1280, "phone": 390}


def _sign_in(page, base: str, user) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_load_state()


def test_a_member_sets_up_an_authenticator_app_from_the_account_page(page, live_server, contributor, artifacts_dir):
    base = live_server.url
    _sign_in(page, base, contributor)
    page.goto(f"{base}/account/")
    for name, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(artifacts_dir / f"account-{name}.png"), full_page=True)
    page.click("text=Set up an authenticator app")
    page.fill("input[name=password]", PASSWORD)  # allauth asks for the password before a factor is added
    page.click("form button[type=submit]")
    page.wait_for_url("**/accounts/2fa/totp/activate/")
    assert page.locator("img[alt]").first.is_visible()  # the QR code
    for name, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(artifacts_dir / f"two-factor-setup-{name}.png"), full_page=True)
    secret = page.input_value("#authenticator_secret")
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    current_code(secret)
    page.fill("input[name=code]", code_at(secret, time.time()))
    page.click("form button[type=submit]")
    page.wait_for_url("**/accounts/2fa/recovery-codes/")
    assert page.locator("#recovery_codes").is_visible()
    page.goto(f"{base}/account/")
    assert page.locator(".two-factor .badge", has_text="On").is_visible()


def test_a_curator_signs_in_with_a_code_and_opens_a_curator_page(page, live_server, curator):
    sign_in_with_second_factor_in_browser(page, live_server.url, curator)
    page.goto(f"{live_server.url}/curation/users/")
    assert page.url.endswith("/curation/users/")
    assert page.locator("h1").first.inner_text()
    # The signed-in header, with a curator's extra link and a long display name, fits one row at 1280 px;
    # the curation pages link to each other.
    curator.display_name = "Dr. Adaeze Okonkwo-Lindqvist"
    curator.save(update_fields=["display_name"])
    page.set_viewport_size({"width": 1280, "height": 900})
    page.reload()
    heights = page.eval_on_selector_all(".site-header .header-row > *", "els => els.map(e => e.getBoundingClientRect().top)")
    assert max(heights) - min(heights) < 12, heights
    page.click(".subnav >> text=Reviewer applications")
    assert page.url.endswith("/curation/reviewers/")
