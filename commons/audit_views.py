"""/curation/audit/: the append-only audit log for curators (past the second factor), filterable by actor,
verb, object and date, and exportable as CSV with the same filters."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseForbidden, StreamingHttpResponse
from django.shortcuts import render

from commons import selectors
from commons.curators import second_factor_redirect
from commons.http import AuthenticatedHttpRequest
from commons.models import AuditEvent
from commons.params import BadParameter
from commons.spreadsheets import neutralise

CSV_COLUMNS = ("time", "actor", "verb", "target_type", "target_id", "data")


class _Echo:
    def write(self, value: str) -> str:
        return value


def _details(event: AuditEvent) -> str:
    return json.dumps(event.data, ensure_ascii=False, sort_keys=True)


def _csv_rows(events: Iterator[AuditEvent]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for event in events:
        actor = event.actor.email if event.actor else ""  # curators see e-mail addresses (README, Privacy)
        yield writer.writerow([neutralise(v) for v in (event.created_at.isoformat(), actor, event.verb,
                                                         event.target_type, event.target_id, _details(event))])


@login_required
def curation_audit(request: AuthenticatedHttpRequest) -> HttpResponse | StreamingHttpResponse:
    if sent_on := second_factor_redirect(request):
        return sent_on
    if not request.user.is_curator:
        return HttpResponseForbidden("Curators only.")
    try:
        events = selectors.audit_events(request.GET)
        error, status = None, 200
    except BadParameter as err:
        events, error, status = AuditEvent.objects.none(), err, 400
    if request.GET.get("format") == "csv" and error is None:
        response = StreamingHttpResponse(_csv_rows(events.iterator(chunk_size=2000)), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="research-commons-audit.csv"'
        return response
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    page = Paginator(events, 100).get_page(request.GET.get("page"))
    rows = [(event, _details(event)) for event in page.object_list]
    return render(request, "curation/audit.html", {
        "page": page, "rows": rows, "filters": request.GET, "query": query.urlencode(), "error": error,
        "verbs": selectors.audit_verbs()}, status=status)
