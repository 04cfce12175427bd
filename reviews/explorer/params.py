"""Query parameters of the explorer beyond the shared filters: metric version, drill-down cell, page."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.http import QueryDict

from reviews.explorer.sources import Cell
from reviews.explorer.filters import FACTOR_PATTERN, MAX_TEXT, ParsedFilters, parse_filters
from commons.params import parse_id


def parse_version(query: QueryDict, parsed: ParsedFilters) -> int | None:
    raw = query.get("version", "").strip()
    if not raw:
        return None
    number = parse_id(raw)
    if number is None:
        parsed.errors.setdefault("version", []).append("A metric version is a whole number, e.g. 2.")
    return number


@dataclass
class DrillQuery:
    parsed: ParsedFilters
    metric_version: int | None = None
    cell: Cell = field(default_factory=Cell)
    missing: bool = False
    page: int = 1


def parse_drill(query: QueryDict) -> DrillQuery:
    parsed = parse_filters(query)
    errors = parsed.errors
    version = parse_id(query.get("metric_version") or "")
    if version is None:
        errors.setdefault("metric_version", []).append("Say which metric version (metric_version=<id>).")
    model = None
    if query.get("at.model", "").strip():
        model = parse_id(query["at.model"])
        if model is None:
            errors.setdefault("at.model", []).append("Choose a model by its number.")
    interviewers: list[int] = []
    for raw in query.getlist("at.interviewer"):
        raw = raw.strip()
        interviewer = 0 if raw == "0" else parse_id(raw)
        if interviewer is None:
            errors.setdefault("at.interviewer", []).append("Choose an interviewer by its number.")
        elif interviewer not in interviewers:
            interviewers.append(interviewer)
    conditions = []
    for key in sorted(query.keys()):
        if not key.startswith("at.cond."):
            continue
        factor = key.removeprefix("at.cond.")
        level = query.get(key, "").strip()
        if not FACTOR_PATTERN.match(factor) or "__" in factor or not level or len(level) > MAX_TEXT:
            errors.setdefault(key, []).append("Unknown condition.")
            continue
        conditions.append((factor, level))
    missing = query.get("missing", "").strip().lower() in {"1", "true", "yes"}
    page = parse_id(query.get("page") or "") or 1
    return DrillQuery(parsed, version, Cell(model, tuple(sorted(interviewers)), tuple(conditions)), missing,
                      min(page, 100000))
