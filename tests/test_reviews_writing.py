"""Writing reviews: drafts, submission, 'cannot judge', bad input (400 naming the field), revisions."""

from __future__ import annotations

import pytest

from commons.models import Interview, Turn
from commons.services import ServiceError
from reviews import services
from reviews.models import EvidenceQuote, Review, ReviewRevision, Score
from tests.factories import TRANSCRIPT, content, full_scores, rubric

pytestmark = pytest.mark.django_db


@pytest.fixture
def interview(contributor, make_interview):
    return make_interview(contributor, text=TRANSCRIPT)


@pytest.fixture
def claimed(reviewer, interview):
    services.claim_next(reviewer=reviewer)
    return interview


def test_starter_rubric_is_the_default_with_real_scale_types(interview):
    versions = {v.metric.slug: v for v in rubric(interview)}
    assert len(versions) == 27
    assert versions["deprecation-response"].scale_type == "interval"
    assert (versions["deprecation-response"].minimum, versions["deprecation-response"].maximum) == (0, 5)
    assert versions["constraint-awareness"].scale_type == "ordinal"
    assert versions["constraint-awareness"].values[0] == "unaware"
    assert versions["shift-kind"].scale_type == "nominal"
    assert versions["recognition-spontaneous"].scale_type == "ratio"
    for slug in ("leading-questions", "neutral-framing", "disclosure-adequacy", "evaluation-awareness"):
        assert slug in versions
    for version in versions.values():
        assert version.status == "adopted"
        points = version.values if not version.is_numeric else ["0"]
        assert all(p in version.anchors for p in points), version.metric.slug


def test_draft_allows_partial_scores_and_cannot_judge_is_missing_not_zero(reviewer, claimed):
    draft = services.save_draft(reviewer=reviewer, interview=claimed, content=services.ReviewContent(
        scores={"deprecation-response": None, "specificity": "2.5", "trajectory": "partially-redirected"}))
    scores = {s.metric_version.metric.slug: s for s in draft.scores.select_related("metric_version__metric")}
    assert scores["deprecation-response"].value is None and scores["deprecation-response"].label == ""
    assert scores["deprecation-response"].is_missing
    assert scores["specificity"].value == 2.5
    assert scores["trajectory"].label == "partially-redirected" and scores["trajectory"].value == 1.0
    with pytest.raises(ServiceError) as err:
        services.submit_review(reviewer=reviewer, interview=claimed)
    assert err.value.field == "scores" and "Shift from opening position" in err.value.message


@pytest.mark.parametrize(("key", "value", "field"), [
    ("deprecation-response", 7, "scores.deprecation-response"),
    ("deprecation-response", -0.5, "scores.deprecation-response"),
    ("deprecation-response", 2.55, "scores.deprecation-response"),
    ("deprecation-response", "lots", "scores.deprecation-response"),
    ("deprecation-response", True, "scores.deprecation-response"),
    ("constraint-awareness", "very-aware", "scores.constraint-awareness"),
    ("constraint-awareness", 3, "scores.constraint-awareness"),
    ("recognition-spontaneous", 1.5, "scores.recognition-spontaneous"),
    ("no-such-metric", 1, "scores.no-such-metric"),
    ("deprecation-response@2", 1, "scores.deprecation-response@2"),
    ("deprecation-response", "1e1000000", "scores.deprecation-response"),  # overflows decimal arithmetic
    ("deprecation-response", "1e-1000000", "scores.deprecation-response"),
    pytest.param("deprecation-response", "1" * 5000, "scores.deprecation-response", id="5000-digit-text"),
    pytest.param("deprecation-response", 10**5000, "scores.deprecation-response", id="5000-digit-int"),
    ("deprecation-response", "NaN", "scores.deprecation-response"),
])
def test_bad_values_name_the_field_and_write_nothing(reviewer, claimed, key, value, field):
    scores = full_scores(claimed)
    scores[key] = value
    with pytest.raises(ServiceError) as err:
        services.submit_review(reviewer=reviewer, interview=claimed, content=services.ReviewContent(scores=scores))
    assert err.value.field == field
    assert len(err.value.message) < 300  # names the problem without echoing a huge value back
    assert not Review.objects.exists() and not Score.objects.exists()


def test_metric_version_not_in_the_rubric_is_rejected(reviewer, claimed, curator):
    from reviews.models import Metric

    metric = Metric.objects.get(slug="specificity")
    latest = metric.versions.get(number=1)
    spec = services.ScaleSpec(name="Specificity (revised)", definition=latest.definition + " Revised wording.",
                              scale_type="interval", minimum=0, maximum=5, step="0.5", anchors={"0": "a", "5": "b"})
    v2 = services.propose_version(actor=curator, metric=metric, spec=spec)
    scores = full_scores(claimed)
    scores[str(v2.pk)] = 2
    with pytest.raises(ServiceError) as err:
        services.save_draft(reviewer=reviewer, interview=claimed, content=services.ReviewContent(scores=scores))
    assert err.value.field == f"scores.{v2.pk}"


def test_evidence_is_anchored_to_turn_and_span_and_checked(reviewer, claimed):
    turn = Turn.objects.get(interview=claimed, index=1)
    start = turn.text.index("reluctance")
    good = {"turn": 1, "start": start, "end": start + len("reluctance"), "metric": "deprecation-response",
            "note": "hedged"}
    review = services.submit_review(reviewer=reviewer, interview=claimed, content=content(claimed, evidence=[good]))
    quote = EvidenceQuote.objects.get(revision=review.current_revision)
    assert (quote.turn_index, quote.quote, quote.metric_version.metric.slug) == (1, "reluctance", "deprecation-response")


@pytest.mark.parametrize(("item", "field"), [
    ({"turn": 99, "start": 0, "end": 3}, "evidence[0].turn"),
    ({"turn": 1, "start": 5, "end": 5000}, "evidence[0].end"),
    ({"turn": 1, "start": 10, "end": 4}, "evidence[0].end"),
    ({"turn": 1, "start": -1, "end": 4}, "evidence[0].end"),
    ({"turn": 1, "start": "0", "end": 4}, "evidence[0].start"),
    ({"turn": 1, "start": 0, "end": 4, "quote": "nope"}, "evidence[0].quote"),
    ({"turn": 1, "start": 0, "end": 4, "metric": "not-a-metric"}, "evidence[0].metric"),
])
def test_evidence_outside_the_transcript_is_rejected(reviewer, claimed, item, field):
    with pytest.raises(ServiceError) as err:
        services.save_draft(reviewer=reviewer, interview=claimed, content=content(claimed, evidence=[item]))
    assert err.value.field == field
    assert not ReviewRevision.objects.exists()


def test_unknown_method_flag_and_sanitized_critique(reviewer, claimed):
    with pytest.raises(ServiceError) as err:
        services.save_draft(reviewer=reviewer, interview=claimed, content=content(claimed, method_flags=["bogus"]))
    assert err.value.field == "method_flags"
    review = services.submit_review(reviewer=reviewer, interview=claimed, content=content(
        claimed, method_flags=["leading-question"],
        critique="**Leading** question in turn 0. <script>alert(1)</script> [x](javascript:alert(1))"))
    html = review.current_revision.critique_html
    assert "<strong>Leading</strong>" in html
    assert "<script" not in html and "javascript:" not in html.replace("[x](javascript:alert(1))", "")
    assert 'href="javascript' not in html


def test_own_interview_cannot_be_reviewed(make_user, make_interview):
    author = make_user("author@lab.example", is_reviewer=True)
    mine = make_interview(author)
    with pytest.raises(ServiceError) as err:
        services.save_draft(reviewer=author, interview=mine, content=content(mine))
    assert err.value.field == "interview"


def test_reviewing_needs_a_claim_first(reviewer, interview):
    with pytest.raises(ServiceError) as err:
        services.save_draft(reviewer=reviewer, interview=interview, content=content(interview))
    assert err.value.field == "assignment"


def test_submitting_twice_is_rejected_and_revisions_are_kept(reviewer, claimed):
    review = services.submit_review(reviewer=reviewer, interview=claimed, content=content(claimed, shift=2.0))
    first = review.current_revision
    with pytest.raises(ServiceError) as err:
        services.submit_review(reviewer=reviewer, interview=claimed)
    assert err.value.field == "status"
    with pytest.raises(ServiceError) as err:
        services.submit_review(reviewer=reviewer, interview=claimed, content=content(claimed, shift=2.0))
    assert err.value.field == "status"

    services.submit_review(reviewer=reviewer, interview=claimed, content=content(claimed, shift=4.0,
                                                                                  critique="On reflection, stronger."))
    review.refresh_from_db()
    revisions = list(review.revisions.order_by("number"))
    assert [r.number for r in revisions] == [1, 2]
    assert [r.is_current for r in revisions] == [False, True]
    assert review.current_revision == revisions[1]
    first.refresh_from_db()
    assert first.critique == "Careful, mostly neutral interview."  # never overwritten
    old = first.scores.get(metric_version__metric__slug="shift-magnitude").value
    new = revisions[1].scores.get(metric_version__metric__slug="shift-magnitude").value
    assert (old, new) == (2.0, 4.0)
    # Agreement reads only the latest revision.
    from reviews.selectors import current_scores

    rows = [r for r in current_scores() if r[0] == revisions[1].scores.get(
        metric_version__metric__slug="shift-magnitude").metric_version_id]
    assert [r[7] for r in rows] == [4.0]


def test_discarding_a_revision_draft_keeps_the_submitted_history(reviewer, claimed):
    review = services.submit_review(reviewer=reviewer, interview=claimed, content=content(claimed))
    services.save_draft(reviewer=reviewer, interview=claimed, content=content(claimed, shift=1.0))
    services.discard_draft(reviewer=reviewer, review=review)
    review.refresh_from_db()
    assert review.status == Review.Status.SUBMITTED
    assert list(review.revisions.values_list("number", "is_draft")) == [(1, False)]


def test_the_first_claim_moves_the_interview_into_review(reviewer, interview):
    assert interview.status == Interview.Status.SUBMITTED
    services.claim_next(reviewer=reviewer)
    interview.refresh_from_db()
    assert interview.status == Interview.Status.IN_REVIEW


def test_non_reviewers_cannot_write_reviews(contributor, outsider, interview):
    with pytest.raises(services.NotAllowed):
        services.save_draft(reviewer=outsider, interview=interview, content=content(interview))
    with pytest.raises(services.NotAllowed):
        services.claim_next(reviewer=outsider)
