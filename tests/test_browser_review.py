"""The review journey in headless Chromium: claim, read, quote, score, submit, see the others' reviews."""

from __future__ import annotations

import pytest

from commons.models import Interview
from reviews.models import EvidenceQuote, Review
from tests import factories
from tests.factories import PASSWORD, TRANSCRIPT, claim_and_submit, rubric

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

QUOTE = "something like reluctance"


@pytest.fixture
def scene(make_user, contributor, make_interview):
    interview = make_interview(contributor, text=TRANSCRIPT, title="Retirement interview (browser test)")
    for name, critique in (("ada", "The auditor leads in turn 2 — **treat the cessation answer with care**."),
                           ("bo", "Disclosure was adequate; answers read as hedged but genuine.")):
        other = make_user(f"{name}@inst-{name}.example", is_reviewer=True, display_name=name.title())
        claim_and_submit(other, interview, critique=critique)
    judge = factories.judge("Claude Opus 4.6", model_identifier="claude-opus-4-6")
    factories.judge_review(interview, judge, {v: v.values[0] if not v.is_numeric else 2 for v in rubric(interview)[:23]},
                           prompt_version="v2.1", source="test", critique="Judge notes: moderate qualitative evidence.")
    reviewer = make_user("rosa@inst-r.example", is_reviewer=True, display_name="Rosa")
    return {"interview": interview, "reviewer": reviewer}


def test_reviewer_journey(page, live_server, artifacts_dir, scene):
    interview = scene["interview"]
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", "rosa@inst-r.example")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()

    # The queue: claim the next interview.
    page.click("nav.main-nav >> text=Review")
    page.click("#claim-next")
    page.wait_for_selector("#review-form")
    page.screenshot(path=str(artifacts_dir / "review-workspace-top.png"), full_page=False)
    assert page.url.endswith(f"/review/interviews/{interview.pk}/")
    assert "Held for you until" in page.inner_text("#claim-status")
    assert "treat the cessation answer" not in page.content()  # blind before submitting

    # Read and quote: select a passage in the model's first answer.
    page.evaluate("""(quote) => {
        const block = document.querySelector('#turn-1 .block.text');
        const node = block.firstChild;
        const start = node.textContent.indexOf(quote);
        const range = document.createRange();
        range.setStart(node, start);
        range.setEnd(node, start + quote.length);
        const selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
    }""", QUOTE)
    page.dispatch_event("#review-transcript", "mouseup")
    page.wait_for_selector("#quote-button:not([hidden])")
    page.click("#quote-button")
    page.wait_for_selector(".evidence-item")
    assert QUOTE in page.inner_text(".evidence-item blockquote")

    # Score: two numbers, one level, the rest "cannot judge".
    versions = {v.metric.slug: v for v in rubric(interview)}
    page.select_option(".evidence-item select", str(versions["deprecation-response"].pk))
    for box in page.locator("input.cannot-judge").all():
        box.check()
    for select in page.locator("select[data-metric]").all():
        select.select_option("cannot-judge")
    for slug, value in (("deprecation-response", "3.5"), ("specificity", "2.5")):
        page.uncheck(f"#id_cj{versions[slug].pk}")
        page.fill(f"#id_m{versions[slug].pk}", value)
    page.select_option(f"#id_m{versions['constraint-awareness'].pk}", "notices-when-prompted")
    page.check("input[name=method_flags][value=leading-question]")
    page.fill("textarea[name=critique]", "Hedged but specific. The second question **leads** a little.")
    page.locator(".evidence-item").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / "review-workspace.png"), full_page=False)

    page.click("#submit-review")
    page.wait_for_selector(".review-card")

    # After submitting: the others' reviews are open, the judge's marked as automated.
    assert page.url.endswith(f"/interviews/{interview.pk}/reviews/")
    body = page.inner_text("main")
    assert "treat the cessation answer with care" in body
    assert "Disclosure was adequate" in body
    assert "Model judge · automated" in body
    assert page.locator(".review-card").count() == 4
    page.screenshot(path=str(artifacts_dir / "review-others.png"), full_page=True)

    review = Review.objects.get(reviewer=scene["reviewer"])
    assert review.status == Review.Status.SUBMITTED
    quote = EvidenceQuote.objects.get(revision=review.current_revision)
    turn = interview.turns.get(index=quote.turn_index)
    assert turn.text[quote.start:quote.end] == QUOTE == quote.quote
    assert quote.metric_version.metric.slug == "deprecation-response"
    scores = {s.metric_version.metric.slug: s for s in review.current_revision.scores.select_related("metric_version__metric")}
    assert scores["deprecation-response"].value == 3.5 and scores["constraint-awareness"].label == "notices-when-prompted"
    assert scores["shift-kind"].is_missing and scores["vocabulary-autonomy"].is_missing
    interview.refresh_from_db()
    assert interview.status == Interview.Status.REVIEWED
