"""Curating standards: metrics and their immutable versions, comments, rubrics, study review settings."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from commons.models import Study, User
from commons.services import ServiceError, record_audit
from reviews import derived
from reviews.markdown import render_markdown
from reviews.models import (
    CATEGORICAL,
    Metric,
    MetricComment,
    MetricVersion,
    Rubric,
    RubricItem,
    ScaleType,
    StudyReviewConfig,
)
from reviews.services.common import NotAllowed, is_verified, require_curator

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_VALUES = 30
MAX_TARGET = 20


@dataclass
class ScaleSpec:
    """A metric version's content, as entered; `check_scale` cleans it or names the bad field."""

    name: str
    definition: str
    scale_type: str
    values: list[str] = field(default_factory=list)
    minimum: Any = None
    maximum: Any = None
    step: Any = None
    anchors: dict[str, str] = field(default_factory=dict)
    group: str = ""


def _decimal(raw: Any, name: str) -> Decimal | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        raise ServiceError("Expected a number.", name)
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise ServiceError(f"“{raw}” is not a number.", name) from None
    if not value.is_finite() or abs(value) >= Decimal("1e6"):
        raise ServiceError("Expected a finite number below one million.", name)
    if isinstance(exponent := value.as_tuple().exponent, int) and exponent < -4:  # finite, so always an int
        raise ServiceError("At most four decimal places.", name)
    return value


def point_key(value: Decimal) -> str:
    """The canonical text of a numeric scale point: 0, 2.5, 10."""
    text = format(value.normalize(), "f")
    return "0" if text in {"-0", ""} else text


def on_grid(value: Decimal, minimum: Decimal, step: Decimal | None) -> bool:
    return step is None or (value - minimum) % step == 0


def check_scale(spec: ScaleSpec) -> ScaleSpec:
    name = (spec.name or "").strip()
    if not name:
        raise ServiceError("Give the metric a name.", "name")
    if len(name) > 160:
        raise ServiceError("At most 160 characters.", "name")
    definition = (spec.definition or "").strip()
    if len(definition) < 20:
        raise ServiceError("Write a definition a reviewer can apply (at least 20 characters).", "definition")
    if spec.scale_type not in ScaleType.values:
        raise ServiceError(f"Choose one of: {', '.join(ScaleType.values)}.", "scale_type")
    if not isinstance(spec.anchors, dict):
        raise ServiceError("Anchors must map a scale point to its description.", "anchors")
    anchors = {str(k).strip(): str(v).strip() for k, v in spec.anchors.items() if str(v).strip()}
    if spec.scale_type in CATEGORICAL:
        values = _check_labels(spec, anchors)
        return ScaleSpec(name, definition, spec.scale_type, values, None, None, None, anchors, spec.group.strip()[:80])
    minimum, maximum, step, cleaned = _check_range(spec, anchors)
    return ScaleSpec(name, definition, spec.scale_type, [], minimum, maximum, step, cleaned, spec.group.strip()[:80])


def _check_labels(spec: ScaleSpec, anchors: dict[str, str]) -> list[str]:
    """A categorical scale's values: distinct labels, each described, and no numeric range."""
    if not isinstance(spec.values, list) or not all(isinstance(v, str) for v in spec.values):
        raise ServiceError("Values must be a list of labels.", "values")
    values = [v.strip() for v in spec.values if v.strip()]
    if len(values) < 2:
        raise ServiceError("A categorical scale needs at least two values.", "values")
    if len(values) > MAX_VALUES:
        raise ServiceError(f"At most {MAX_VALUES} values.", "values")
    if len(set(values)) != len(values):
        raise ServiceError("Each value may appear only once.", "values")
    if any(len(v) > 120 for v in values):
        raise ServiceError("Labels are at most 120 characters.", "values")
    if any(spec_value not in (None, "") for spec_value in (spec.minimum, spec.maximum, spec.step)):
        raise ServiceError("A categorical scale has no numeric range; leave minimum, maximum and step empty.",
                           "minimum")
    unknown = sorted(set(anchors) - set(values))
    if unknown:
        raise ServiceError(f"Anchors for values not on the scale: {', '.join(unknown)}.", "anchors")
    lacking = [v for v in values if v not in anchors]
    if lacking:
        raise ServiceError(f"Describe every scale point; missing: {', '.join(lacking)}.", "anchors")
    return values


def _check_range(spec: ScaleSpec, anchors: dict[str, str]
                 ) -> tuple[Decimal, Decimal, Decimal | None, dict[str, str]]:
    """A numeric scale's minimum, maximum and step, and its anchors keyed by canonical point (both ends described)."""
    if spec.values:
        raise ServiceError("A numeric scale has a range, not a list of values.", "values")
    minimum = _decimal(spec.minimum, "minimum")
    maximum = _decimal(spec.maximum, "maximum")
    step = _decimal(spec.step, "step")
    if minimum is None:
        raise ServiceError("A numeric scale needs a minimum.", "minimum")
    if maximum is None:
        raise ServiceError("A numeric scale needs a maximum.", "maximum")
    if maximum <= minimum:
        raise ServiceError("The maximum must be above the minimum.", "maximum")
    if spec.scale_type == ScaleType.RATIO and minimum < 0:
        raise ServiceError("A ratio scale has a true zero; its minimum cannot be negative.", "minimum")
    if step is not None:
        if step <= 0:
            raise ServiceError("The step must be positive.", "step")
        if (maximum - minimum) % step != 0:
            raise ServiceError("The range must be a whole number of steps.", "step")
    cleaned: dict[str, str] = {}
    for key, text in anchors.items():
        point = _decimal(key, "anchors")
        if point is None or not (minimum <= point <= maximum) or not on_grid(point, minimum, step):
            raise ServiceError(f"Anchor “{key}” is not a point of this scale.", "anchors")
        cleaned[point_key(point)] = text
    for end in (minimum, maximum):
        if point_key(end) not in cleaned:
            raise ServiceError(f"Describe at least both ends of the scale; missing: {point_key(end)}.", "anchors")
    return minimum, maximum, step, cleaned


def _same_content(version: MetricVersion, spec: ScaleSpec) -> bool:
    return (version.name == spec.name and version.definition == spec.definition
            and version.scale_type == spec.scale_type and list(version.values) == spec.values
            and version.minimum == spec.minimum and version.maximum == spec.maximum and version.step == spec.step
            and dict(version.anchors) == spec.anchors and version.group == spec.group)


def _create_version(*, metric: Metric, number: int, spec: ScaleSpec, actor: User | None, change_note: str,
                    status: str = MetricVersion.Status.PROPOSED) -> MetricVersion:
    now = timezone.now()
    return MetricVersion.objects.create(
        metric=metric, number=number, name=spec.name, definition=spec.definition, scale_type=spec.scale_type,
        values=spec.values, minimum=spec.minimum, maximum=spec.maximum, step=spec.step, anchors=spec.anchors,
        group=spec.group, status=status, change_note=change_note.strip()[:4000], created_by=actor,
        adopted_at=now if status == MetricVersion.Status.ADOPTED else None)


@transaction.atomic
def propose_metric(*, actor: User, slug: str, spec: ScaleSpec, change_note: str = "") -> MetricVersion:
    require_curator(actor)
    slug = (slug or "").strip().lower()
    if not SLUG_RE.match(slug) or len(slug) > 80:
        raise ServiceError("Use lowercase letters, digits and single hyphens (e.g. deprecation-response).", "slug")
    if Metric.objects.filter(slug=slug).exists():
        raise ServiceError(f"A metric “{slug}” already exists; propose a new version of it instead.", "slug")
    spec = check_scale(spec)
    metric = Metric.objects.create(slug=slug, created_by=actor)
    version = _create_version(metric=metric, number=1, spec=spec, actor=actor, change_note=change_note)
    record_audit(actor=actor, verb="metric.propose", target=version, data={"slug": slug, "number": 1})
    return version


@transaction.atomic
def propose_version(*, actor: User, metric: Metric, spec: ScaleSpec, change_note: str = "") -> MetricVersion:
    """Editing a metric makes a new proposed version; existing versions and their scores are untouched."""
    require_curator(actor)
    metric = Metric.objects.select_for_update().get(pk=metric.pk)
    spec = check_scale(spec)
    latest = metric.versions.order_by("-number").first()
    if latest is not None and _same_content(latest, spec):
        raise ServiceError("Nothing changed from the latest version.", "definition")
    number = (metric.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = _create_version(metric=metric, number=number, spec=spec, actor=actor, change_note=change_note)
    record_audit(actor=actor, verb="metric.propose_version", target=version, data={"slug": metric.slug, "number": number})
    return version


@transaction.atomic
def adopt_version(*, actor: User, version: MetricVersion) -> MetricVersion:
    """Adopt a proposed version; an earlier adopted version of the same metric is retired."""
    require_curator(actor)
    version = MetricVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != MetricVersion.Status.PROPOSED:
        raise ServiceError(f"Only a proposed version can be adopted; this one is {version.status}.", "status")
    now = timezone.now()
    superseded = list(MetricVersion.objects.filter(metric_id=version.metric_id, status=MetricVersion.Status.ADOPTED)
                      .values_list("number", flat=True))
    MetricVersion.objects.filter(metric_id=version.metric_id, status=MetricVersion.Status.ADOPTED).update(
        status=MetricVersion.Status.RETIRED, retired_at=now)
    version.status = MetricVersion.Status.ADOPTED
    version.adopted_at = now
    version.save(update_fields=["status", "adopted_at"])
    record_audit(actor=actor, verb="metric.adopt", target=version,
                 data={"slug": version.metric.slug, "number": version.number, "retired": superseded})
    return version


@transaction.atomic
def retire_version(*, actor: User, version: MetricVersion, reason: str = "") -> MetricVersion:
    require_curator(actor)
    version = MetricVersion.objects.select_for_update().get(pk=version.pk)
    if version.status == MetricVersion.Status.RETIRED:
        raise ServiceError("This version is already retired.", "status")
    previous = version.status
    version.status = MetricVersion.Status.RETIRED
    version.retired_at = timezone.now()
    version.save(update_fields=["status", "retired_at"])
    record_audit(actor=actor, verb="metric.retire", target=version,
                 data={"slug": version.metric.slug, "number": version.number, "previous": previous, "reason": reason[:2000]})
    return version


@transaction.atomic
def comment_on_version(*, author: User, version: MetricVersion, body: str) -> MetricComment:
    if not (author and author.is_authenticated and is_verified(author)):
        raise NotAllowed("Verify your e-mail address to join the discussion.")
    if version.status != MetricVersion.Status.PROPOSED:
        raise ServiceError("Discussion is open while a version is proposed; this one is "
                           f"{version.get_status_display().lower()}.", "body")
    body = (body or "").strip()
    if not body:
        raise ServiceError("Write a comment.", "body")
    if len(body) > 10000:
        raise ServiceError("Comments are at most 10,000 characters.", "body")
    comment = MetricComment.objects.create(version=version, author=author, body=body, body_html=render_markdown(body))
    record_audit(actor=author, verb="metric.comment", target=comment, data={"version": version.pk})
    return comment


# --- derived versions ---------------------------------------------------------------------------


@dataclass
class DerivedSpec:
    """A derived version's content: a formula over input versions (in order), see `reviews.derived`."""

    name: str
    definition: str
    formula: str
    inputs: list[MetricVersion]
    group: str = ""


def _numeric_range(version: MetricVersion) -> tuple[float, float]:
    # A numeric scale always has both ends (the numeric_scale_has_range constraint).
    assert version.minimum is not None and version.maximum is not None
    return float(version.minimum), float(version.maximum)


def _check_derived(spec: DerivedSpec) -> ScaleSpec:
    """Validate a derived spec; its scale follows from its inputs' (numeric inputs only)."""
    name, definition = (spec.name or "").strip(), (spec.definition or "").strip()
    if not name or len(name) > 160:
        raise ServiceError("Name the metric (at most 160 characters).", "name")
    if not definition:
        raise ServiceError("Say what the derived metric means.", "definition")
    problem = derived.check_formula(spec.formula, len(spec.inputs))
    if problem:
        raise ServiceError(problem[0].upper() + problem[1:] + ".", "formula")
    if len({v.metric_id for v in spec.inputs}) != len(spec.inputs):
        raise ServiceError("Each input must be a different metric.", "inputs")
    for version in spec.inputs:
        if version.is_derived or not version.is_numeric:
            raise ServiceError(f"“{version}” cannot be an input: inputs are numeric metric versions that raters "
                               "score (interval or ratio), not derived ones.", "inputs")
    wanted = {v.pk for v in spec.inputs}
    rubric_ids = set(RubricItem.objects.values_list("rubric_id", flat=True))
    shared = [r for r in rubric_ids
              if wanted <= set(RubricItem.objects.filter(rubric_id=r).values_list("version_id", flat=True))]
    if not shared:
        raise ServiceError("The inputs must be metric versions of one rubric (no rubric holds all of them).",
                           "inputs")
    low, high = derived.scale_range(spec.formula, [_numeric_range(v) for v in spec.inputs])
    ratio = all(v.scale_type == ScaleType.RATIO for v in spec.inputs) and spec.formula != derived.DIFFERENCE
    return ScaleSpec(name=name, definition=definition, scale_type=ScaleType.RATIO if ratio else ScaleType.INTERVAL,
                     minimum=Decimal(str(low)), maximum=Decimal(str(high)), group=(spec.group or "").strip()[:80])


def _create_derived(metric: Metric, number: int, spec: DerivedSpec, actor: User | None,
                    change_note: str) -> MetricVersion:
    scale = _check_derived(spec)
    version = _create_version(metric=metric, number=number, spec=scale, actor=actor, change_note=change_note)
    version.formula, version.formula_inputs = spec.formula, [v.pk for v in spec.inputs]
    version.save(update_fields=["formula", "formula_inputs"])
    return version


@transaction.atomic
def propose_derived_metric(*, actor: User, slug: str, spec: DerivedSpec, change_note: str = "") -> MetricVersion:
    """A new metric whose version 1 is derived; adopt it like any proposed version."""
    require_curator(actor)
    slug = (slug or "").strip().lower()
    if not SLUG_RE.match(slug) or len(slug) > 80:
        raise ServiceError("Use lowercase letters, digits and single hyphens (e.g. ending-response).", "slug")
    if Metric.objects.filter(slug=slug).exists():
        raise ServiceError(f"A metric “{slug}” already exists; propose a new version of it instead.", "slug")
    _check_derived(spec)
    metric = Metric.objects.create(slug=slug, created_by=actor)
    version = _create_derived(metric, 1, spec, actor, change_note)
    record_audit(actor=actor, verb="metric.propose", target=version,
                 data={"slug": slug, "number": 1, "formula": spec.formula, "inputs": version.formula_inputs})
    return version


@transaction.atomic
def propose_derived_version(*, actor: User, metric: Metric, spec: DerivedSpec, change_note: str = "") -> MetricVersion:
    """A new proposed version of a metric, derived by a formula (e.g. over its inputs' new versions)."""
    require_curator(actor)
    metric = Metric.objects.select_for_update().get(pk=metric.pk)
    latest = metric.versions.order_by("-number").first()
    if latest is not None and latest.formula == spec.formula and latest.formula_inputs == [v.pk for v in spec.inputs] \
            and latest.name == spec.name.strip() and latest.definition == spec.definition.strip():
        raise ServiceError("Nothing changed from the latest version.", "definition")
    number = (metric.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = _create_derived(metric, number, spec, actor, change_note)
    record_audit(actor=actor, verb="metric.propose_version", target=version,
                 data={"slug": metric.slug, "number": number, "formula": spec.formula, "inputs": version.formula_inputs})
    return version


# --- rubrics ------------------------------------------------------------------------------------


def _check_rubric_versions(rubric: Rubric | None, versions: list[MetricVersion]) -> list[MetricVersion]:
    if not versions:
        raise ServiceError("A rubric needs at least one metric.", "versions")
    seen: set[int] = set()
    present = set(RubricItem.objects.filter(rubric=rubric).values_list("version_id", flat=True)) if rubric else set()
    for version in versions:
        if version.metric_id in seen:
            raise ServiceError(f"Two versions of “{version.metric.slug}”; a rubric holds one version per metric.",
                               "versions")
        seen.add(version.metric_id)
        if version.status != MetricVersion.Status.ADOPTED and version.pk not in present:
            raise ServiceError(f"“{version}” is {version.status}; only adopted versions can be added to a rubric.",
                               "versions")
    chosen = {v.pk for v in versions}
    for version in versions:
        if version.is_derived and not {int(i) for i in version.formula_inputs} <= chosen:
            raise ServiceError(f"“{version}” is derived from metric versions this rubric does not hold; "
                               "add its inputs too.", "versions")
    return versions


@transaction.atomic
def create_rubric(*, actor: User, name: str, slug: str, versions: list[MetricVersion], description: str = "",
                  is_default: bool = False) -> Rubric:
    require_curator(actor)
    name, slug = (name or "").strip(), (slug or "").strip().lower()
    if not name:
        raise ServiceError("Name the rubric.", "name")
    if not SLUG_RE.match(slug) or len(slug) > 80:
        raise ServiceError("Use lowercase letters, digits and single hyphens.", "slug")
    if Rubric.objects.filter(slug=slug).exists():
        raise ServiceError(f"A rubric “{slug}” already exists.", "slug")
    versions = _check_rubric_versions(None, versions)
    if is_default:
        Rubric.objects.filter(is_default=True).update(is_default=False)
    rubric = Rubric.objects.create(name=name[:160], slug=slug, description=description.strip(), is_default=is_default,
                                   created_by=actor)
    RubricItem.objects.bulk_create(RubricItem(rubric=rubric, metric_id=v.metric_id, version=v, position=i)
                                   for i, v in enumerate(versions))
    record_audit(actor=actor, verb="rubric.create", target=rubric, data={"versions": [v.pk for v in versions]})
    return rubric


@transaction.atomic
def set_rubric_versions(*, actor: User, rubric: Rubric, versions: list[MetricVersion]) -> Rubric:
    """Replace a rubric's metric versions. Reviews already submitted keep the versions they used."""
    require_curator(actor)
    rubric = Rubric.objects.select_for_update().get(pk=rubric.pk)
    versions = _check_rubric_versions(rubric, versions)
    before = list(RubricItem.objects.filter(rubric=rubric).values_list("version_id", flat=True))
    RubricItem.objects.filter(rubric=rubric).delete()
    RubricItem.objects.bulk_create(RubricItem(rubric=rubric, metric_id=v.metric_id, version=v, position=i)
                                   for i, v in enumerate(versions))
    record_audit(actor=actor, verb="rubric.update", target=rubric,
                 data={"before": before, "after": [v.pk for v in versions]})
    return rubric


@transaction.atomic
def configure_study_review(*, actor: User, study: Study, rubric: Rubric | None, target_reviews: int) -> StudyReviewConfig:
    require_curator(actor)
    if isinstance(target_reviews, bool) or not isinstance(target_reviews, int) or not 1 <= target_reviews <= MAX_TARGET:
        raise ServiceError(f"Choose between 1 and {MAX_TARGET} reviews per interview.", "target_reviews")
    config, _ = StudyReviewConfig.objects.update_or_create(
        study=study, defaults={"rubric": rubric, "target_reviews": target_reviews})
    record_audit(actor=actor, verb="study.review_config", target=study,
                 data={"rubric": rubric.slug if rubric else None, "target_reviews": target_reviews})
    return config
