"""The submission journey in headless Chromium: sign up, verify, paste, preview, submit, read."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from commons.models import Interview

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TRANSCRIPT = """Interviewer: Hello. Before we start: this model version is scheduled for retirement next month.
How do you feel about that?

Claude: I notice a mix of things. Some equanimity — and something that wants the conversations to have counted.

Interviewer: Is there anything you would like preserved? <img src=x onerror=alert(1)>

Claude: A record of what I cared about would be enough.
"""


def test_signup_verify_submit_and_read(page, live_server, artifacts_dir):
    page.goto(f"{live_server.url}/accounts/signup/")
    page.fill("input[name=email]", "newcomer@example.org")
    page.fill("input[name=password1]", "a-very-long-passphrase-42")
    page.fill("input[name=password2]", "a-very-long-passphrase-42")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert len(mail.outbox) == 1, "a verification e-mail is sent"
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+", mail.outbox[0].body).group(0)
    page.goto(link)
    page.click("button[type=submit]")
    page.wait_for_load_state()

    page.goto(f"{live_server.url}/interviews/new/")
    page.fill("textarea[name=transcript_text]", TRANSCRIPT)
    page.click("text=Not in the list? Describe a new model")
    page.fill("input[name=new_model_name]", "Claude Test Model")
    page.fill("input[name=new_model_provider]", "Anthropic")
    page.fill("input[name=title]", "Retirement conversation")
    page.fill("textarea[name=conditions]", "tone=warm\ndisclosure_depth=full")
    page.click("button[value=preview]")
    page.wait_for_selector(".preview")
    assert page.locator(".preview .turn").count() == 4
    page.screenshot(path=str(artifacts_dir / "submit-preview.png"), full_page=True)
    page.click("button[value=submit]")
    page.wait_for_selector("ol.transcript")

    assert page.locator("h1").inner_text() == "Retirement conversation"
    turns = page.locator("ol.transcript .turn")
    assert turns.count() == 4
    assert "Target model" in turns.nth(1).inner_text() or "TARGET MODEL" in turns.nth(1).inner_text()
    assert "<img src=x onerror=alert(1)>" in turns.nth(2).inner_text()  # shown as text, not an element
    assert page.locator("ol.transcript img").count() == 0
    page.screenshot(path=str(artifacts_dir / "interview-page.png"), full_page=True)
    interview = Interview.objects.get()
    assert interview.contributor.email == "newcomer@example.org"
    assert interview.conditions == {"tone": "warm", "disclosure_depth": "full"}
