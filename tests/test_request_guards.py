"""Parameters no view can use, over every URL the site routes: a NUL anywhere in the query or a form
is a 400 naming the parameter; `limit`/`offset` out of range is a 400 naming it (or, for a huge
`limit`, the largest page); `page=` of any shape never a 500."""

from __future__ import annotations

import pytest
from django.test import Client

from commons.api.pagination import MAX_LIMIT
from tests.url_patterns import api_paths, concrete_paths

pytestmark = pytest.mark.django_db

HUGE = "9223372036854775808"  # 2**63: one past the largest 64-bit integer
PATHS = concrete_paths()


@pytest.fixture
def both(make_user):
    return make_user("both@example.org", is_curator=True, is_reviewer=True)


@pytest.fixture
def client_for(both):
    client = Client(raise_request_exception=False)
    client.force_login(both)
    return client


def test_a_nul_in_any_query_parameter_is_a_400_naming_it(client_for):
    wrong = []
    for path in PATHS:
        for query, name in [("q=%00", "q"), ("topic=a%00b", "topic"), ("page=1&x%00y=1", "x\\0y")]:
            response = client_for.get(f"{path}?{query}")
            if path.startswith("/api/"):
                expected = {name: [f"“{name}” contains a NUL character, which no parameter may hold."]}
                ok = response.status_code == 400 and response.json() == expected
            else:
                ok = response.status_code == 400 and f"“{name}” contains a NUL character" in response.content.decode()
            if not ok:
                wrong.append((path, query, response.status_code))
        if Client(raise_request_exception=False).get(f"{path}?q=%00").status_code != 400:
            wrong.append((path, "anonymous", "not 400"))
    assert not wrong and len(PATHS) > 100, wrong


def test_a_nul_in_a_posted_form_field_or_the_path_is_a_400(client_for, make_interview, both):
    interview = make_interview(both)
    response = client_for.post(f"/interviews/{interview.pk}/withdraw/", {"reason": "because\x00"})
    assert response.status_code == 400 and "“reason” contains a NUL" in response.content.decode()
    response = client_for.post("/explore/data/new/", {"note": "x\x00"})
    assert response.status_code == 400
    api = client_for.post("/api/v1/imports/", {"licence": "CC0\x00"})
    assert api.status_code == 400 and "licence" in api.json()
    assert client_for.get("/explore/data/a%00b/").status_code == 400
    interview.refresh_from_db()
    assert not interview.is_withdrawn


def _paginated(client: Client, path: str) -> bool:
    response = client.get(path)
    return response.status_code == 200 and response["Content-Type"].startswith("application/json") \
        and isinstance(response.json(), dict) and "results" in response.json()


def test_limit_and_offset_on_every_api_list(client_for, make_interview, both):
    make_interview(both)
    paginated = [p for p in api_paths() if _paginated(client_for, p)]
    assert {"/api/v1/interviews/", "/api/v1/metrics/", "/api/v1/reviews/"} <= set(paginated)
    for path in api_paths():
        for query in [f"limit={HUGE}", f"offset={HUGE}", "limit=abc", "limit=-1", "offset=1.5", "limit=٣"]:
            response = client_for.get(f"{path}?{query}")
            assert response.status_code < 500, (path, query, response.status_code)
    for path in paginated:
        big = client_for.get(f"{path}?limit={HUGE}")
        assert big.status_code == 200 and len(big.json()["results"]) <= MAX_LIMIT, path
        for query, name in [(f"offset={HUGE}", "offset"), ("limit=abc", "limit"), ("limit=0", "limit"),
                            ("offset=-1", "offset"), ("limit=٣", "limit")]:
            response = client_for.get(f"{path}?{query}")
            assert response.status_code == 400 and name in response.json(), (path, query, response.content)
        assert client_for.get(f"{path}?offset=9223372036854775807").json()["results"] == []


def test_any_page_number_is_not_a_500(client_for):
    wrong = []
    for path in [p for p in PATHS if not p.startswith("/api/")]:
        for page in [HUGE, "-1", "0", "abc", "1e400", "9" * 5000, "٣"]:
            response = client_for.get(path, {"page": page})
            if response.status_code >= 500:
                wrong.append((path, page[:20], response.status_code))
    assert not wrong, wrong
