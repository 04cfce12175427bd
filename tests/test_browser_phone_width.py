"""At phone width (390 px) no page scrolls sideways: wide tables scroll inside their own box, the explorer's
number cards wrap. Signed in as a reviewer on the synthetic demo corpus, so the tables are full."""

from __future__ import annotations

import pytest

from commons.models import Interview
from reviews.explorer import materialize
from reviews.synthetic.demo_interviews import DEMO_PASSWORD, load_demo
from reviews.synthetic.demo_reviews import load_demo_reviews

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = ["/", "/interviews/", "/explore/", "/explore/metrics/specificity/", "/explore/coverage/",
         "/explore/agreement/", "/explore/data/", "/metrics/", "/agreement/", "/review/",
         "/account/"]


def test_no_page_is_wider_than_a_phone(page, live_server, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    load_demo(interviews=12)
    load_demo_reviews()
    materialize.refresh_aggregates()
    interview = Interview.objects.filter(title__startswith="Demo interview 01").get()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", "reviewer1@demo.invalid")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    wide = {}
    page.goto(f"{live_server.url}/explore/metrics/specificity/")
    drilldown = page.locator("a[href*='/explore/interviews/?']").first.get_attribute("href")
    for path in [*PAGES, f"/interviews/{interview.pk}/", drilldown]:
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status == 200, path
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 390:
            wide[path] = width
    assert wide == {}
