"""The agreement page, result pages, the adjudication list, the API and the interview-page include."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q
from django.template.loader import render_to_string
from django.test import RequestFactory
from rest_framework.test import APIClient

from commons.models import Interview
from reviews.reliability import services
from reviews.reliability.models import AgreementResult, UnitDisagreement
from tests.fixtures.mfa import sign_in_with_second_factor

pytestmark = pytest.mark.django_db


def result(version, audience: str, slice_type: str = "all", slice_value: str = "") -> AgreementResult:
    return AgreementResult.objects.get(metric_version=version, audience=audience, slice_type=slice_type,
                                       slice_value=slice_value)


def no_nan(html: str) -> None:
    assert not re.search(r"\bnan\b", html, re.IGNORECASE), "NaN must never reach a page"


# --- the public page ------------------------------------------------------------------------------------


def test_the_public_page_shows_alpha_with_interval_and_n(client, computed) -> None:
    world, _, _ = computed
    public = result(world.interval, "public")
    response = client.get("/agreement/")
    assert response.status_code == 200
    html = response.content.decode()
    no_nan(html)
    assert f"α {public.alpha:.3f}" in html
    assert f"{public.ci_low:.2f} to {public.ci_high:.2f}" in html
    assert f"{public.n_units} interviews · {public.n_pairable_values} values" in html
    assert "undefined</span> <span class=\"reason\">— one rater" in html  # one judge alone
    assert "Internal numbers" not in html
    internal = result(world.interval, "internal")
    assert f"α {internal.alpha:.3f}" not in html
    # A public result's page: everything it rests on, no reviewer-level breakdown.
    detail = client.get(f"/agreement/results/{public.pk}/").content.decode()
    assert public.inputs_fingerprint in detail and str(public.seed) in detail
    assert "Each rater against the rest" not in detail
    no_nan(detail)
    # One metric: every slice, undefined ones with their reason.
    html = client.get("/agreement/?metric=warmth").content.decode()
    no_nan(html)
    for r in AgreementResult.objects.filter(metric_version=world.interval, audience="public"):
        assert r.slice_label in html
    assert "undefined — one rater" in html
    assert "Judge J (prompt p1): its replicates" in html
    by_type = client.get("/agreement/?slice_type=condition").content.decode()
    assert "tone: warm" in by_type and "Judge J (prompt p1): its replicates" not in by_type
    assert client.get("/agreement/?slice_type=bogus").status_code == 200  # a clear notice, not a 500


def test_only_curators_get_internal_numbers(client, computed, contributor, curator) -> None:
    world, _, _ = computed
    internal = result(world.interval, "internal")
    for who in (None, contributor):
        if who:
            client.force_login(who)
        html = client.get("/agreement/?audience=internal").content.decode()
        assert "Internal numbers" not in html and f"α {internal.alpha:.3f}" not in html
        assert client.get(f"/agreement/results/{internal.pk}/").status_code == 404
    client.logout()
    sign_in_with_second_factor(client, curator)
    html = client.get("/agreement/?audience=internal").content.decode()
    assert "Internal numbers" in html and f"α {internal.alpha:.3f}" in html
    detail = client.get(f"/agreement/results/{internal.pk}/").content.decode()
    no_nan(detail)
    assert "Each rater against the rest" in detail and "Judge J (prompt p1)" in detail
    assert "Pairwise alpha" in detail


# --- the adjudication list ----------------------------------------------------------------------------------


def test_adjudication_is_for_curators_only(client, computed, contributor, curator, settings) -> None:
    world, interviews, _ = computed
    settings.RELIABILITY_FLAG_THRESHOLD = 0.5
    response = client.get("/agreement/adjudication/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(contributor)
    assert client.get("/agreement/adjudication/").status_code == 403
    reviewer = world.reviewer(0)
    client.force_login(reviewer)
    assert client.get("/agreement/adjudication/").status_code == 403
    client.logout()
    sign_in_with_second_factor(client, curator)
    flagged = UnitDisagreement.objects.filter(metric_version=world.interval, relative_disagreement__gt=0.5)
    first = flagged.order_by("interview_id").values_list("interview_id", flat=True)[0]
    Interview.objects.filter(pk=first).update(status=Interview.Status.REVIEWED)  # its reviews become public
    html = client.get("/agreement/adjudication/?metric=warmth").content.decode()
    reviewed = flagged.filter(interview__status=Interview.Status.REVIEWED)
    assert reviewed.exists()
    for row in reviewed:
        assert row.interview.get_absolute_url() in html
    # Only interviews whose reviews are public: the list shows reviewers' values.
    hidden = UnitDisagreement.objects.filter(metric_version=world.interval).filter(
        Q(relative_disagreement__lte=0.5) | ~Q(interview__status=Interview.Status.REVIEWED))
    for row in hidden:
        assert f'href="{row.interview.get_absolute_url()}"' not in html


# --- the API ---------------------------------------------------------------------------------------------


def test_the_api_is_public_paginated_and_filtered(computed) -> None:
    world, interviews, _ = computed
    api = APIClient()
    body = api.get("/api/v1/agreement/").json()
    assert body["count"] == AgreementResult.objects.filter(audience="public").count()
    assert {row["audience"] for row in body["results"]} == {"public"}
    page = api.get("/api/v1/agreement/?limit=5&offset=5").json()
    assert len(page["results"]) == 5 and page["next"]
    model_a = str(interviews["i1"].target_model_id)
    rows = api.get(f"/api/v1/agreement/?metric=warmth&slice_type=target_model&slice_value={model_a}").json()["results"]
    assert len(rows) == 1
    expected = result(world.interval, "public", "target_model", model_a)
    row = rows[0]
    assert row["alpha"] == pytest.approx(expected.alpha) and row["ci_low"] == pytest.approx(expected.ci_low)
    assert (row["n_units"], row["n_pairable_values"], row["metric_version"]) == (expected.n_units, expected.n_pairable_values, 1)
    assert row["undefined_reason"] is None
    undefined = api.get("/api/v1/agreement/?metric=warmth&slice_type=reviewer_kind&slice_value=judge").json()["results"][0]
    assert undefined["alpha"] is None and undefined["undefined_reason"] == "one rater"
    assert api.get(f"/api/v1/agreement/{expected.pk}/").json()["id"] == expected.pk


def test_internal_numbers_and_reviewer_breakdowns_are_for_curators(computed, contributor, curator, api_client_for) -> None:
    world, _, _ = computed
    internal = result(world.interval, "internal")
    anonymous = APIClient()
    assert anonymous.get("/api/v1/agreement/?audience=internal").status_code in (401, 403)
    assert anonymous.get(f"/api/v1/agreement/{internal.pk}/").status_code == 404
    member = api_client_for(contributor)
    assert member.get("/api/v1/agreement/?audience=internal").status_code == 403
    assert member.get(f"/api/v1/agreement/{internal.pk}/").status_code == 404
    assert member.get(f"/api/v1/agreement/{internal.pk}/raters/").status_code == 403
    assert member.get("/api/v1/agreement/flagged/").status_code == 403
    staff = api_client_for(curator)
    body = staff.get("/api/v1/agreement/?audience=internal&metric=warmth&slice_type=all").json()
    assert [r["id"] for r in body["results"]] == [internal.pk]
    raters = staff.get(f"/api/v1/agreement/{internal.pk}/raters/").json()
    assert len(raters["raters"]) == internal.n_raters and raters["pairwise"]["raters"]
    flagged = staff.get("/api/v1/agreement/flagged/?metric=warmth").json()
    assert flagged["count"] == UnitDisagreement.objects.filter(  # interviews whose reviews are public only
        metric_version=world.interval, relative_disagreement__gt=1.0, interview__status=Interview.Status.REVIEWED).count()


# --- the interview page include ---------------------------------------------------------------------------


def render_dispersion(interview, user) -> str:
    request = RequestFactory().get("/")
    request.user = user
    return render_to_string("reliability/_interview_dispersion.html", {"interview": interview}, request=request)


def test_interview_dispersion_shows_only_once_reviews_are_visible(computed, make_user) -> None:
    world, interviews, _ = computed
    reviewed, in_review = interviews["i5"], interviews["i6"]
    reviewed.refresh_from_db()
    in_review.refresh_from_db()
    assert reviewed.status == "reviewed" and in_review.status == "in_review"
    html = render_dispersion(reviewed, AnonymousUser())
    assert "Reviewer agreement on this interview" in html and "Warmth" in html
    for value in ("6", "6.5", "9"):
        assert f'<span class="chip">{value}</span>' in html
    no_nan(html)
    # Blind: before review is complete, only a reviewer who has submitted their own review sees it.
    assert render_dispersion(in_review, AnonymousUser()).strip() == ""
    assert render_dispersion(in_review, make_user(is_reviewer=True)).strip() == ""
    assert "Reviewer agreement on this interview" in render_dispersion(in_review, world.reviewer(0))


def test_a_withdrawn_interview_shows_no_dispersion(computed) -> None:
    world, interviews, _ = computed
    from commons import services as commons_services

    commons_services.withdraw_interview(interview=interviews["i5"], actor=world.curator, reason="Withdrawn by request.")
    for version in world.versions:
        services.recompute_metric_version(metric_version_id=version.pk)
    interviews["i5"].refresh_from_db()
    assert render_dispersion(interviews["i5"], world.curator).strip() == ""
