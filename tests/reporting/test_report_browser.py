"""The trustees' report (``clarion report --format html``) in Debian's headless Chromium, as the
preview page is tested (:mod:`tests.render.test_html_browser`): no request leaves the page; every
chart is an image with a name and a table of its numbers beside it; every piece of text, in the
page and in the charts, has a contrast of at least 4.5:1, and every bar 3:1 against the page; it
reads on a 390 px phone without sideways scrolling, and prints.

The week is the example campaign sent to in-process fakes that answer counts
(:mod:`tests.reporting.test_report_cli`); the real servers are in ``test_report_servers.py``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import EXAMPLE
from tests.fakes import ledger_env
from tests.render.test_html_browser import ARGS, ARTIFACTS, CHECK, CHROMIUM
from tests.reporting.test_report_cli import SLUG, CountingFake, clarion, give

# Text drawn in SVG is coloured by ``fill``: its contrast against the page, and each bar's
# (a ``path`` of a chart's bars, which matplotlib draws with an inline ``fill``) at 3:1.
SVG_CHECK = """() => {
  const parse = (c) => { const m = (c || '').match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2]]; };
  const lum = ([r, g, b]) => { const f = (v) => { v /= 255;
    return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const ratio = (c) => 1.05 / (lum(c) + 0.05);
  const out = {svgs: [], text: [], badText: [], bars: [], badBars: []};
  for (const svg of document.querySelectorAll('svg')) {
    const figure = svg.closest('figure');
    const table = figure && document.getElementById(figure.getAttribute('aria-describedby'));
    const rows = table ? table.querySelectorAll('tbody tr').length : 0;
    out.svgs.push({role: svg.getAttribute('role'), label: svg.getAttribute('aria-label'),
      table: table ? table.tagName : null, rows, width: svg.getBoundingClientRect().width});
  }
  for (const t of document.querySelectorAll('svg text')) {
    const c = parse(getComputedStyle(t).fill);
    if (!c || !t.textContent.trim()) continue;
    out.text.push(t.textContent.trim());
    if (ratio(c) < 4.5) out.badText.push(`${t.textContent.trim()}: ${ratio(c).toFixed(2)}`);
  }
  for (const p of document.querySelectorAll('svg g[id^="patch"] path')) {
    const c = parse(getComputedStyle(p).fill);
    if (!c || (c[0] === 255 && c[1] === 255 && c[2] === 255)) continue;
    out.bars.push(c.join(','));
    if (ratio(c) < 3) out.badBars.push(`${c}: ${ratio(c).toFixed(2)}`);
  }
  return out;
}"""


class Shown:
    def __init__(self, url: str, data: dict[str, Any]) -> None:
        self.url = url
        self.data = data
        self.requests: list[str] = []
        self.refused: list[str] = []
        self.pages: dict[str, Any] = {}


@pytest.fixture(scope="module")
def shown(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shown]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/ensure-chromium and try again.")
    from playwright.sync_api import Route, sync_playwright

    folder = tmp_path_factory.mktemp("report")
    CountingFake.counts_of, CountingFake.refuse, CountingFake.batches = {}, {}, []
    env = next(
        ledger_env(folder, CLARION_ADAPTERS="*=tests.reporting.test_report_cli:CountingFake")
    )
    from tests.fakes import FakeAdapter

    assert clarion(env, "schedule", str(EXAMPLE)).exit_code == 0
    plan = json.loads(clarion(env, "preview", str(EXAMPLE), "--format", "json").stdout)
    for at in sorted({d["at_utc"] for d in plan}):
        assert clarion(env, "run-due", "--pretend-now", at).exit_code == 0
    give([p for fake in FakeAdapter.platforms.values() for p in fake.received], likes=7)
    out = folder / "report.html"
    done = clarion(env, "report", SLUG, "--format", "html", "-o", str(out), "--yes")
    assert done.exit_code == 0, done.output
    data = json.loads(clarion(env, "report", SLUG, "--format", "json").stdout)
    state = Shown(out.as_uri(), data)

    def route(r: Route) -> None:
        url = r.request.url
        state.requests.append(url)
        if url == state.url or url.startswith("data:"):
            r.continue_()
        else:
            state.refused.append(url)
            r.abort()

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            for name, size in (("desk", (1280, 900)), ("phone", (390, 844))):
                context = chromium.new_context(
                    viewport={"width": size[0], "height": size[1]}, java_script_enabled=True
                )
                context.route("**/*", route)
                page = context.new_page()
                errors: list[str] = []
                page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
                page.on("console", lambda m, errors=errors: errors.append(m.text))
                page.goto(state.url)
                page.wait_for_load_state("load")
                assert errors == []  # a CSP refusal would be said on the console
                state.pages[name] = page
            yield state
        finally:
            chromium.close()


def test_no_request_leaves_the_page(shown: Shown) -> None:
    assert shown.refused == []
    assert set(shown.requests) == {shown.url}


def test_every_chart_is_a_named_image_with_its_numbers_in_a_table(shown: Shown) -> None:
    found = shown.pages["desk"].evaluate(SVG_CHECK)
    assert len(found["svgs"]) == 2  # per day, per platform
    for svg in found["svgs"]:
        assert svg["role"] == "img" and len(svg["label"]) > 20, svg
        assert svg["table"] == "TABLE" and svg["rows"] >= 4, svg
    labels = [s["label"] for s in found["svgs"]]
    assert any("day" in lab.lower() for lab in labels) and any(
        "platform" in lab.lower() for lab in labels
    )
    # the charts' text is text (the page's fonts), readable, and the bars stand out
    assert "Bluesky" in found["text"] and found["badText"] == []
    assert len(set(found["bars"])) >= 4 and found["badBars"] == []


def test_alt_text_and_contrast_of_the_page(shown: Shown) -> None:
    page = shown.pages["desk"]
    result = page.evaluate(CHECK)
    assert result["checked"] > 100
    assert result["noAlt"] == []
    assert result["bad"] == []
    for details in page.query_selector_all("details"):
        details.evaluate("d => d.open = true")  # every post, opened
    opened = page.evaluate(CHECK)
    assert opened["checked"] >= result["checked"] and opened["bad"] == []
    assert page.get_attribute("html", "lang") == "en"
    headings = page.evaluate("() => [...document.querySelectorAll('h2')].map(h => h.textContent)")
    for wanted in ("The week in numbers", "Day by day", "The best posts", "What the numbers mean"):
        assert wanted in headings, headings
    assert headings[-1] == "Next year"


def test_the_page_says_what_the_numbers_are(shown: Shown) -> None:
    page = shown.pages["desk"]
    text = page.inner_text("main")
    total = next(t for t in shown.data["totals"] if t["metric"] == "likes")["total"]
    assert f"{total:,}" in text
    for label in ("X", "Facebook", "Mastodon", "Bluesky"):
        assert label in text
    assert "clarion init --from" in text and "--start 2023-07-03" in text
    best = shown.data["deliveries"][0]["text"][:30]
    assert best and any(d["text"][:30] in text for d in shown.data["deliveries"])


def test_it_reads_on_a_phone_without_sideways_scrolling(shown: Shown) -> None:
    page = shown.pages["phone"]
    wide = page.evaluate("() => document.documentElement.scrollWidth")
    over = page.evaluate(
        "() => [...document.querySelectorAll('body *')].filter(e => !e.closest('.scroll'))"
        ".filter(e => e.getBoundingClientRect().right > 391)"
        ".map(e => e.tagName + '.' + e.className + ' ' + e.textContent.slice(0, 40))"
    )
    assert wide <= 390, over[:5]
    for svg in page.evaluate(SVG_CHECK)["svgs"]:
        assert 300 <= svg["width"] <= 390


def test_it_prints(shown: Shown) -> None:
    pdf = shown.pages["desk"].pdf(format="A4")
    assert pdf[:5] == b"%PDF-" and pdf.count(b"/Type /Page") >= 3


def test_screenshot_of_the_report(shown: Shown) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report-week.png"
    shown.pages["desk"].screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
