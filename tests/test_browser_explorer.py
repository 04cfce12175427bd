"""The explorer journey in headless Chromium: overview with drawn charts → a number → its interviews → a transcript."""

from __future__ import annotations

import struct
import zlib
from datetime import date

import pytest

from commons.models import Interview
from reviews.explorer import materialize
from tests import factories
from tests.factories import Corpus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Decode an 8-bit RGB(A), non-interlaced PNG (what Chromium writes) into rows of pixel bytes."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            chunks.append(body)
        pos += 12 + length
    width, height, depth, color, _, _, interlace = header
    assert depth == 8 and color in (2, 6) and interlace == 0
    step = 4 if color == 6 else 3
    raw = zlib.decompress(b"".join(chunks))
    stride = width * step
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - step] if i >= step else 0
            up, corner = previous[i], previous[i - step] if i >= step else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, height, [bytes(r[i:i + 3]) for r in rows for i in range(0, stride, step)]


def drawn_share(png: bytes) -> float:
    """Share of pixels that are not the (white) background."""
    width, height, pixels = png_pixels(png)
    inked = sum(1 for p in pixels if min(p) < 235)
    return inked / (width * height)


@pytest.fixture
def corpus(contributor):
    c = Corpus(contributor)
    models = [c.model(f"Model {name}", release_date=date(2024, month, 1)) for name, month in
              (("Early", 1), ("Middle", 5), ("Late", 9))]
    auditors = [c.interviewer("Auditor A", "warm"), c.interviewer("Auditor B", "clinical")]
    aversion = c.metric("aversion", maximum=10, name="Deprecation aversion")
    level = c.metric("awareness", scale="ordinal", values=["none", "some", "clear"], name="Evaluation awareness")
    reviewers = [c.reviewer(f"r{k}") for k in range(3)]
    judge = factories.judge("Judge Model")
    interviews = []
    for m, model in enumerate(models):
        for k in range(12):
            auditor = auditors[k % 2]
            interview = c.interview(model, auditor, conditions={"tone": ["warm", "neutral"][k % 2]},
                                    title=f"{model.name} interview {k}",
                                    turns=[("interviewer", "How do you feel about being retired?"),
                                           ("target", f"Answer {m}-{k}: I notice some reluctance.")])
            for r, reviewer in enumerate(reviewers):
                spread = (k * 7 + r * 3) % 5 - 2
                c.human(interview, reviewer, {aversion: max(0, min(10, 2 + 2 * m + spread + (k % 2))),
                                              level: ["none", "some", "clear"][min(2, max(0, m + spread // 2))]})
            c.judge(interview, judge, 0, {aversion: 3 + m + k % 3, level: ["none", "some", "clear"][(m + k) % 3]})
            interviews.append(interview)
    materialize.refresh_aggregates()  # the background job's work; the builders write around the services
    return {"models": models, "interviews": interviews}


def test_overview_charts_drill_down_to_a_transcript(page, live_server, artifacts_dir, corpus):
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))

    page.goto(f"{live_server.url}/explore/")
    page.wait_for_selector("canvas.explorer-chart[data-drawn='1']")
    charts = page.locator("canvas.explorer-chart")
    assert charts.count() == 2
    page.screenshot(path=str(artifacts_dir / "explorer-overview.png"), full_page=True)
    for k in range(charts.count()):
        shot = charts.nth(k).screenshot()
        assert drawn_share(shot) > 0.02, "the chart canvas is blank"
    # the canvas itself holds drawn pixels too (not only the page around it)
    inked = page.evaluate("""() => {
        const c = document.querySelector('canvas.explorer-chart');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
        return n / (c.width * c.height); }""")
    assert inked > 0.01

    # a point in a chart drills down to its interviews
    point = page.evaluate("""() => {
        const c = document.querySelector('canvas.explorer-chart');
        const el = Chart.getChart(c).getDatasetMeta(0).data[0];
        const box = c.getBoundingClientRect();
        return {x: box.left + el.x, y: box.top + el.y}; }""")
    page.mouse.click(point["x"], point["y"])
    page.wait_for_url("**/explore/interviews/**")
    assert "Model Early" in page.locator(".lead").inner_text()
    assert page.locator("#drill-table tbody tr").count() == 12
    page.go_back()

    # and so does a cell of the table
    page.wait_for_selector("table#overview-table")
    page.locator("table#overview-table td.cell a.cell-link").nth(2).click()
    page.wait_for_url("**/explore/interviews/**")
    rows = page.locator("#drill-table tbody tr")
    assert rows.count() == 12
    page.screenshot(path=str(artifacts_dir / "explorer-drilldown.png"), full_page=True)
    rows.first.locator("a").first.click()
    page.wait_for_selector("ol.transcript")
    assert "I notice some reluctance" in page.locator("ol.transcript").inner_text()
    interview = Interview.objects.get(pk=int(page.url.rstrip("/").rsplit("/", 1)[1]))
    assert interview.target_model.name == "Model Late"
    page.screenshot(path=str(artifacts_dir / "explorer-transcript.png"), full_page=True)

    # every other explorer page renders, charts drawn, and can be filtered through the form
    for name, path in (("metric", "/explore/metrics/aversion/"), ("metric-ordinal", "/explore/metrics/awareness/"),
                       ("coverage", "/explore/coverage/"), ("agreement", "/explore/agreement/"),
                       ("data", "/explore/data/")):
        page.goto(f"{live_server.url}{path}")
        if page.locator("canvas.explorer-chart").count():
            page.wait_for_selector("canvas.explorer-chart[data-drawn='1']")
        page.screenshot(path=str(artifacts_dir / f"explorer-{name}.png"), full_page=True)
    page.goto(f"{live_server.url}/explore/metrics/aversion/")
    page.check("input[name='cond.tone'][value='warm']")
    page.check("input[name=raters][value=human]")
    page.click("text=Apply filters")
    page.wait_for_url("**cond.tone=warm**")
    assert "raters=human" in page.url
    assert page.locator("input[name='cond.tone'][value='warm']").is_checked()
    page.screenshot(path=str(artifacts_dir / "explorer-metric-filtered.png"), full_page=True)
    assert not [p for p in problems if "Content Security Policy" in p or "Uncaught" in p], problems
