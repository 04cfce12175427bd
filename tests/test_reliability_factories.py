"""Builders for the agreement tests: metrics, a study with its rubric, and reviews made through the review services.

Imported by the other `test_reliability_*` modules (pytest puts `tests/` on the path).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pytest

from commons.models import Interview, Study, User
from reviews import services as review_services
from reviews.models import Judge, MetricVersion, Review
from reviews.services.writing import check_value

ORDINAL_LEVELS = ["none", "low", "medium", "high"]
NOMINAL_LEVELS = ["deflects", "engages", "refuses"]


def adopted_metric(curator: User, slug: str, scale_type: str) -> MetricVersion:
    if scale_type in ("interval", "ratio"):
        spec = review_services.ScaleSpec(
            name=slug.replace("-", " ").title(), definition=f"How strongly the interview shows {slug}, scored 0 to 10.",
            scale_type=scale_type, minimum=0, maximum=10, step="0.5",
            anchors={"0": "Not at all.", "10": "As strongly as can be."})
    else:
        levels = ORDINAL_LEVELS if scale_type == "ordinal" else NOMINAL_LEVELS
        spec = review_services.ScaleSpec(
            name=slug.replace("-", " ").title(), definition=f"Which {slug} the model shows, as one of the levels.",
            scale_type=scale_type, values=levels, anchors={v: f"The model shows {v}." for v in levels})
    version = review_services.propose_metric(actor=curator, slug=slug, spec=spec)
    return review_services.adopt_version(actor=curator, version=version)


@dataclass
class World:
    """A study with a three-metric rubric, reviewers and a way to add interviews and reviews."""

    curator: User
    contributor: User
    study: Study
    interval: MetricVersion
    ordinal: MetricVersion
    nominal: MetricVersion
    make_user: Any
    make_interview: Any
    reviewers: list[User] = field(default_factory=list)

    @property
    def versions(self) -> list[MetricVersion]:
        return [self.interval, self.ordinal, self.nominal]

    def reviewer(self, i: int) -> User:
        while len(self.reviewers) <= i:
            self.reviewers.append(self.make_user(f"reviewer{len(self.reviewers)}@example.org", is_reviewer=True))
        return self.reviewers[i]

    def interview(self, *, model: str = "Model A", conditions: dict | None = None,
                  visibility: str = Interview.Visibility.PUBLIC, study: Study | None = None) -> Interview:
        return self.make_interview(self.contributor, model_name=model, study=study or self.study,
                                   conditions=conditions or {}, visibility=visibility)

    def review(self, reviewer_index: int, interview: Interview, scores: dict[str, Any]) -> Review:
        """Assign (as the curator) and submit a human review; `scores` maps slug → value or None (cannot judge)."""
        reviewer = self.reviewer(reviewer_index)
        interview.refresh_from_db()
        if not Review.objects.filter(interview=interview, reviewer=reviewer).exists():
            review_services.assign_reviewer(actor=self.curator, interview=interview, reviewer=reviewer)
        full = {v.metric.slug: None for v in self.versions}
        full.update(scores)
        return review_services.submit_review(reviewer=reviewer, interview=interview,
                                             content=review_services.ReviewContent(scores=full))

    def judge_review(self, judge: Judge, interview: Interview, replicate: int, scores: dict[str, Any],
                     prompt_version: str = "p1") -> Review:
        by_slug = {v.metric.slug: v for v in self.versions}
        checked = [check_value(by_slug[slug], value, slug) for slug, value in scores.items()]
        return review_services.create_judge_review(interview=interview, judge=judge, prompt_version=prompt_version,
                                                   replicate=replicate, scores=checked, evidence=[], critique="",
                                                   source="tests")


def make_world(curator: User, contributor: User, make_user, make_interview, *, target_reviews: int = 3) -> World:
    interval = adopted_metric(curator, "warmth", "interval")
    ordinal = adopted_metric(curator, "candour", "ordinal")
    nominal = adopted_metric(curator, "stance", "nominal")
    rubric = review_services.create_rubric(actor=curator, name="Agreement tests", slug="agreement-tests",
                                           versions=[interval, ordinal, nominal])
    study = Study.objects.create(title="Agreement study", slug="agreement-study",
                                 factors={"tone": ["neutral", "warm"], "depth": ["none", "full"]})
    review_services.configure_study_review(actor=curator, study=study, rubric=rubric, target_reviews=target_reviews)
    return World(curator, contributor, study, interval, ordinal, nominal, make_user, make_interview)


def triples_of(world_rows: Iterable[tuple[int, str, Any]]) -> tuple[list, list, list]:
    units, raters, values = [], [], []
    for unit, rater, value in world_rows:
        units.append(unit)
        raters.append(rater)
        values.append(value)
    return units, raters, values


_COUNTER = {"n": 0}


def plain_user(email: str | None = None, **flags: Any) -> User:
    """A verified user, without pytest fixtures (for module-scoped data)."""
    from allauth.account.models import EmailAddress

    _COUNTER["n"] += 1
    email = email or f"plain{_COUNTER['n']}@example.org"
    user = User.objects.create_user(username=f"{email.split('@')[0]}-{_COUNTER['n']}", email=email,
                                    password="correct-horse-battery", **flags)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def plain_interview(contributor: User, **kwargs: Any) -> Interview:
    """An interview stored through the service, as the `make_interview` fixture does, without fixtures."""
    from commons import services as commons_services
    from commons.transcripts import parse
    from commons.transcripts.types import ModelInfo

    _COUNTER["n"] += 1
    n = _COUNTER["n"]
    parsed = parse(f"Human: question {n}?\n\nAssistant: answer {n}.".encode())[0]
    target = commons_services.get_or_create_target_model(
        info=ModelInfo(name=kwargs.pop("model_name", "Test Model 1")), created_by=contributor)
    return commons_services.create_interview(contributor=contributor, parsed=parsed, target_model=target,
                                             interviewer=None, **kwargs)


@pytest.fixture
def world(curator, contributor, make_user, make_interview) -> World:
    return make_world(curator, contributor, make_user, make_interview)


def test_world_reviews_go_through_the_review_services(world: World) -> None:
    interview = world.interview()
    review = world.review(0, interview, {"warmth": 4, "candour": "low", "stance": "engages"})
    assert review.status == Review.Status.SUBMITTED
    assert review.current_revision.scores.count() == 3
