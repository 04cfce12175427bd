"""Per-rater values behind the explorer's consensus table: one value per rater × interview × metric version.

A human reviewer gives one value: their blind value, the score in their last revision submitted before they
could see the other reviews (`reviews.selectors.blind_revision_q`, the rule headline agreement reads), so
the means beside an alpha are of the same values as the alpha. Revisions after unblinding are kept and
released (`releases`, `final_value`) but count in no explorer number. A model judge with one prompt
version gives its replicates pooled by the one rule of `reviews.pooling`, the rule the agreement
engine uses too: SQL's AVG is that rule's mean (interval, ratio); ordinal versions are pooled in
Python by the same function (the median in scale order, scores stored as their scale position).
Nominal rows record only that a label was given (coverage): the nominal page pools the labels
themselves with `pooling.pool` (`nominal.nominal_payload`).

Whose values count (the blind rule): every rater's once the interview is reviewed; before that only
model judges', and only in a study whose judge scores are published data (`Study.judge_scores_public`).
A judge's value for an interview still in human review is as blind as a person's, in every number.

Prompt versions are never pooled: a judge counts with its newest prompt version only
(`reviews.prompt_versions`); the judge filter chooses any other version by name.

Derived metric versions (`reviews.derived`) are computed per review revision from that revision's
input scores (`reviews.derived_values`), written to a second temporary table (`DERIVED_TABLE`) and
read beside the stored scores, so from there on they are pooled and averaged like any metric.

`fill` writes the values into a temporary table (`TABLE`) inside the caller's transaction.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.apps import apps
from django.db import connection
from django.db.models import Avg, Count, F, Q, QuerySet

from commons.models import Interview
from commons.selectors import PUBLISHED
from reviews import derived_values
from reviews.models import MetricVersion, Review, ReviewRevision, ScaleType, Score
from reviews.pooling import MEAN, RULES, pool, rule_for
from reviews.prompt_versions import newest_per_judge, ordered
from reviews.selectors import blind_revision_q, blind_scores

TABLE = "explorer_rater_fresh"
DERIVED_TABLE = "explorer_derived_fresh"

_INSERT_SQL = """
INSERT INTO {table} (interview_id, metric_version_id, kind, reviewer_id, judge_id, prompt_version, value, n_values)
SELECT r.interview_id, s.metric_version_id, r.kind, r.reviewer_id, r.judge_id, r.prompt_version,
       AVG(s.value), COUNT(s.value)
FROM {scores} s
JOIN {revision} rv ON rv.id = s.revision_id
JOIN {review} r ON r.id = rv.review_id
JOIN {interview} i ON i.id = r.interview_id
LEFT JOIN {study} st ON st.id = i.study_id
WHERE rv.id IN ({blind}) AND r.status = %s
  AND i.status IN ({published}) AND i.visibility = %s
  AND (i.status = %s OR (r.kind = %s AND st.judge_scores_public = %s))
  AND {counted_judges}
GROUP BY r.interview_id, s.metric_version_id, r.kind, r.reviewer_id, r.judge_id, r.prompt_version
"""

# A judge's replicate values where the pooled value is not their mean and there is more than one.
_REPLICATES_SQL = """
SELECT t.interview_id, t.metric_version_id, t.judge_id, t.prompt_version, s.value
FROM {table} t
JOIN {review} r ON r.interview_id = t.interview_id AND r.judge_id = t.judge_id
                 AND r.prompt_version = t.prompt_version AND r.status = %s
JOIN {revision} rv ON rv.review_id = r.id AND rv.id IN ({blind})
JOIN {score} s ON s.revision_id = rv.id AND s.metric_version_id = t.metric_version_id
WHERE t.kind = %s AND t.n_values > 1 AND s.value IS NOT NULL AND t.metric_version_id IN ({versions})
"""


def _table(app_label: str, model: str) -> str:
    return connection.ops.quote_name(apps.get_model(app_label, model)._meta.db_table)


def _blind_revisions() -> tuple[str, list[Any]]:
    """The blind revisions as SQL and parameters: the rule of `reviews.selectors.blind_revision_q`, not restated."""
    sql, params = ReviewRevision.objects.filter(blind_revision_q()).values("pk").query.sql_with_params()
    return sql, list(params)


def _names() -> dict[str, str]:
    return {"table": TABLE, "score": _table("reviews", "Score"), "revision": _table("reviews", "ReviewRevision"),
            "review": _table("reviews", "Review"), "interview": _table("commons", "Interview"),
            "study": _table("commons", "Study")}


def fill(cursor: Any) -> None:
    """Create and fill `TABLE` with every counted rater's value (see the module docstring)."""
    cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")
    cursor.execute(f"CREATE TEMPORARY TABLE {TABLE} (interview_id bigint, metric_version_id bigint, "
                   f"kind varchar(10), reviewer_id bigint, judge_id bigint, prompt_version varchar(60), "
                   f"value double precision, n_values integer)")
    counted = counted_judge_versions()
    clause = " OR ".join(["r.kind <> %s", *["(r.judge_id = %s AND r.prompt_version = %s)"] * len(counted)])
    names = _names()
    scores = names["score"]
    if _fill_derived(cursor):
        scores = (f"(SELECT revision_id, metric_version_id, value FROM {names['score']} "
                  f"UNION ALL SELECT revision_id, metric_version_id, value FROM {DERIVED_TABLE})")
    blind, blind_params = _blind_revisions()
    sql = _INSERT_SQL.format(**names, scores=scores, published=", ".join(["%s"] * len(PUBLISHED)),
                             counted_judges=f"({clause})", blind=blind)
    cursor.execute(sql, [*blind_params, Review.Status.SUBMITTED, *PUBLISHED, Interview.Visibility.PUBLIC,
                         Interview.Status.REVIEWED, Review.Kind.JUDGE, True, Review.Kind.JUDGE,
                         *[x for pair in sorted(counted.items()) for x in pair]])
    _pool_replicates(cursor)
    cursor.execute(f"DROP TABLE IF EXISTS {DERIVED_TABLE}")


def _fill_derived(cursor: Any) -> bool:
    """Write every current revision's derived values into `DERIVED_TABLE`; False when there are none."""
    cursor.execute(f"DROP TABLE IF EXISTS {DERIVED_TABLE}")
    rows = derived_values.per_revision(derived_values.derived_versions(), blind_scores())
    if not rows:
        return False
    cursor.execute(f"CREATE TEMPORARY TABLE {DERIVED_TABLE} (revision_id bigint, metric_version_id bigint, "
                   f"value double precision)")
    cursor.executemany(f"INSERT INTO {DERIVED_TABLE} (revision_id, metric_version_id, value) VALUES (%s, %s, %s)",
                       rows)
    return True


def counted_judge_versions() -> dict[int, str]:
    """Each judge's newest prompt version: the one its reviews count with wherever no version is named."""
    pairs = (Review.objects.filter(kind=Review.Kind.JUDGE, status=Review.Status.SUBMITTED)
             .values_list("judge_id", "prompt_version").distinct().order_by())
    return newest_per_judge(pairs)


def counted_reviews_q() -> Q:
    """Human reviews, and judge reviews of each judge's newest prompt version (the ORM form of `fill`'s clause)."""
    match = Q(kind=Review.Kind.HUMAN)
    for judge_id, version in counted_judge_versions().items():
        match |= Q(kind=Review.Kind.JUDGE, judge_id=judge_id, prompt_version=version)
    return match


def _pool_replicates(cursor: Any) -> None:
    """Replace AVG by the pooling rule where the rule is not the mean (ordinal metric versions)."""
    levels = dict(MetricVersion.objects.exclude(scale_type=ScaleType.NOMINAL).values_list("pk", "scale_type"))
    pooled_here = sorted(pk for pk, level in levels.items() if rule_for(level) != MEAN)
    if not pooled_here:
        return
    cursor.execute(f"CREATE INDEX {TABLE}_judge ON {TABLE} (interview_id, metric_version_id, judge_id)")
    blind, blind_params = _blind_revisions()
    sql = _REPLICATES_SQL.format(**_names(), versions=", ".join(["%s"] * len(pooled_here)), blind=blind)
    cursor.execute(sql, [Review.Status.SUBMITTED, *blind_params, Review.Kind.JUDGE, *pooled_here])
    replicates: dict[tuple[int, int, int, str], list[float]] = defaultdict(list)
    for interview_id, version_id, judge_id, prompt_version, value in cursor.fetchall():
        replicates[(interview_id, version_id, judge_id, prompt_version)].append(float(value))
    updates = [(pool(values, levels[key[1]]), *key) for key, values in replicates.items()]
    cursor.executemany(f"UPDATE {TABLE} SET value = %s WHERE interview_id = %s AND metric_version_id = %s "
                       f"AND judge_id = %s AND prompt_version = %s", updates)


def drop(cursor: Any) -> None:
    cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")


def one_rater(scores: QuerySet[Score]) -> list[tuple[int, int, float | None, int]]:
    """(interview, metric version, pooled value, score rows) from one rater's blind scores.

    The same rule as `fill`: AVG where the rule is the mean (and for nominal presence), `pool` otherwise.
    """
    pooled_levels = [level for level in RULES if level != ScaleType.NOMINAL and rule_for(level) != MEAN]
    averaged = scores.exclude(metric_version__scale_type__in=pooled_levels)
    rows = [(r["interview"], r["metric_version_id"], r["value"], r["total"])
            for r in averaged.values("metric_version_id", interview=F("revision__review__interview_id"))
            .annotate(value=Avg("value"), total=Count("id")).order_by()]
    grouped: dict[tuple[int, int], list[float | None]] = defaultdict(list)
    levels: dict[int, str] = {}
    for interview_id, version_id, value, level in (
            scores.filter(metric_version__scale_type__in=pooled_levels)
            .values_list("revision__review__interview_id", "metric_version_id", "value", "metric_version__scale_type")
            .order_by()):
        grouped[(interview_id, version_id)].append(value)
        levels[version_id] = level
    for (interview_id, version_id), values in grouped.items():
        given = [v for v in values if v is not None]
        rows.append((interview_id, version_id, pool(given, levels[version_id]), len(values)))
    return rows


def one_rater_derived(scores: QuerySet[Score], version_ids: tuple[int, ...] | None
                      ) -> list[tuple[int, int, float | None, int]]:
    """Like `one_rater`, for derived versions: per revision from its input scores, then pooled (the mean)."""
    versions = derived_values.derived_versions(version_ids)
    per_revision = derived_values.per_revision(versions, scores)
    interview_of = dict(Score.objects.filter(revision_id__in={r for r, _, _ in per_revision}).order_by()
                        .values_list("revision_id", "revision__review__interview_id").distinct())
    levels = {v.pk: v.scale_type for v in versions}
    grouped: dict[tuple[int, int], list[float | None]] = defaultdict(list)
    for revision_id, version_id, value in per_revision:
        grouped[(interview_of[revision_id], version_id)].append(value)
    return [(interview_id, version_id, pool([v for v in values if v is not None], levels[version_id]), len(values))
            for (interview_id, version_id), values in grouped.items()]


def judge_options(interview_ids: QuerySet[Any]) -> list[dict[str, Any]]:
    """The judge filter's choices: each judge with its prompt versions, newest first (a judge × version is a rater)."""
    pairs = (Review.objects.filter(kind=Review.Kind.JUDGE, status=Review.Status.SUBMITTED, interview__in=interview_ids)
             .values_list("judge_id", "judge__name", "prompt_version").distinct().order_by())
    by_judge: dict[tuple[int, str], set[str]] = defaultdict(set)
    for judge_id, name, version in pairs:
        by_judge[(judge_id, name)].add(version or "")
    options = []
    for (judge_id, name), versions in sorted(by_judge.items(), key=lambda item: (item[0][1].lower(), item[0][0])):
        listed = ordered(versions)
        options.append({"id": judge_id, "name": name, "versions": [
            {"version": v, "value": f"{judge_id}:{v}" if v else str(judge_id), "newest": i == 0}
            for i, v in enumerate(listed)]})
    return options
