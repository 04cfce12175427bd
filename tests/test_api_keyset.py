"""The interview list pages by position: following `next` from the first page to the last visits every
interview once, in order, whatever is inserted meanwhile; `previous` walks back; deep pages cost what the
first costs (a bounded, index-ordered query, not an offset); a forged cursor is a 400."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from commons.models import Interview
from tests import factories

pytestmark = pytest.mark.django_db


def _api(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user=user)
    return api


def _interviews(contributor, n: int, start: int = 0) -> list[int]:
    return [factories.interview(contributor, text=f"User: question {k}?\n\nAssistant: answer {k}.").pk
            for k in range(start, start + n)]


def test_following_next_visits_every_interview_once_and_previous_walks_back(contributor):
    made = _interviews(contributor, 12)
    api = _api(contributor)
    first = api.get("/api/v1/interviews/?limit=5").json()
    assert first["count"] == 12 and first["previous"] is None and "cursor=" in first["next"]
    seen, pages, url = [], [], "/api/v1/interviews/?limit=5"
    while url:
        page = api.get(url).json()
        pages.append(page)
        seen += [row["id"] for row in page["results"]]
        if len(pages) == 1:
            _interviews(contributor, 1, start=100)  # a new interview sorts first: it must not shift the pages after
        url = page["next"]
    assert seen == sorted(made, reverse=True) and [len(p["results"]) for p in pages] == [5, 5, 2]
    back = api.get(pages[2]["previous"]).json()
    assert [row["id"] for row in back["results"]] == [row["id"] for row in pages[1]["results"]]
    assert api.get(back["previous"]).json()["results"] == pages[0]["results"]


def test_an_offset_page_links_to_cursors(contributor):
    _interviews(contributor, 6)
    page = _api(contributor).get("/api/v1/interviews/?limit=2&offset=2").json()
    assert "cursor=" in page["next"] and "offset=" not in page["next"] and "cursor=" in page["previous"]


def test_a_deep_cursor_page_is_one_bounded_ordered_query(contributor):
    _interviews(contributor, 30)
    api = _api(contributor)
    url, depth = "/api/v1/interviews/?limit=3", 0
    while depth < 8:
        url = api.get(url).json()["next"]
        depth += 1
    with CaptureQueriesContext(connection) as queries:
        assert api.get(url).status_code == 200
    listing = [q["sql"] for q in queries.captured_queries if "OFFSET" not in q["sql"].upper() and "LIMIT 4" in q["sql"]]
    assert len(listing) == 1 and '"created_at" <' in listing[0]  # resumes from the position, no OFFSET


@pytest.mark.parametrize("cursor", ["garbage", "W10", "WyIyMDI1LTAxLTAxIiwgMSwgZmFsc2Vd", "%00", "x" * 500])
def test_a_cursor_this_site_did_not_make_is_a_400(contributor, cursor):
    _interviews(contributor, 2)
    response = _api(contributor).get(f"/api/v1/interviews/?cursor={cursor}")
    assert response.status_code == 400 and "cursor" in response.json()
