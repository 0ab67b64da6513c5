"""The HTML preview of the example week, driven in a real headless Chromium.

Debian's ``chromium`` (``scripts/ensure-chromium`` installs it; Playwright's own browser download
cannot work here), launched once for the module with Playwright for Python. Every request the page
makes is routed through the test, which lets only the page's own file through.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLE, ROOT

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOT = ROOT / "docs" / "preview-week.png"
ARTIFACTS = ROOT / "tests" / "artifacts"


def clarion(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "clarion", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


class Browser:
    """One page of the example week, and every request it made."""

    def __init__(self, page: Any, deliveries: list[dict[str, Any]], url: str) -> None:
        self.page = page
        self.deliveries = deliveries
        self.url = url
        self.requests: list[str] = []
        self.refused: list[str] = []

    def visible_keys(self) -> list[str]:
        keys: list[str] = self.page.evaluate(
            """() => [...document.querySelectorAll('article.card')]
                .filter(c => c.getClientRects().length > 0).map(c => c.dataset.key)"""
        )
        return keys

    def reset(self) -> None:
        self.page.click("#reset")
        assert len(self.visible_keys()) == len(self.deliveries)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the HTML preview's tests need Debian's Chromium. "
            "Run scripts/ensure-chromium (scripts/test and .ci/run do) and try again."
        )
    from playwright.sync_api import Route, sync_playwright

    folder = tmp_path_factory.mktemp("html")
    out = folder / "week.html"
    made = clarion("preview", str(EXAMPLE), "--format", "html", "-o", str(out))
    assert made.returncode == 0, made.stderr
    listed = clarion("preview", str(EXAMPLE), "--format", "json")
    assert listed.returncode == 0, listed.stderr
    deliveries = json.loads(listed.stdout)

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            context = chromium.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            state = Browser(page, deliveries, out.as_uri())

            def route(r: Route) -> None:
                url = r.request.url
                state.requests.append(url)
                if url == state.url or url.startswith("data:"):
                    r.continue_()
                else:
                    state.refused.append(url)
                    r.abort()

            context.route("**/*", route)
            page.on("request", lambda request: state.requests.append(request.url))
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(state.url)
            page.wait_for_load_state("load")
            assert not errors
            yield state
        finally:
            chromium.close()


def test_one_card_per_delivery_each_with_its_text(browser: Browser) -> None:
    cards: dict[str, dict[str, str]] = browser.page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('article.card')].map(c =>
            [c.dataset.key, {platform: c.dataset.platform,
                             text: c.querySelector('.text').textContent}]))"""
    )
    count = browser.page.locator("article.card").count()
    assert count == len(cards) == len(browser.deliveries)
    for d in browser.deliveries:
        assert cards[d["key"]] == {"platform": d["platform"], "text": d["text"]}, d["key"]


def test_no_request_leaves_the_page(browser: Browser) -> None:
    browser.page.click('button[data-value="mastodon"]')
    browser.page.mouse.wheel(0, 20000)  # scroll through, as a reader would
    browser.reset()
    assert not browser.refused
    assert {u for u in browser.requests if not u.startswith("data:")} == {browser.url}


def test_platform_filter_shows_only_that_platform(browser: Browser) -> None:
    page = browser.page
    by_platform = Counter(d["platform"] for d in browser.deliveries)
    for platform, count in by_platform.items():
        button = page.locator(f'button[data-filter="platform"][data-value="{platform}"]')
        button.click()
        assert button.get_attribute("aria-pressed") == "true"
        keys = browser.visible_keys()
        expected = {d["key"] for d in browser.deliveries if d["platform"] == platform}
        assert set(keys) == expected and len(keys) == count
        button.click()  # pressed again: the filter is off
        assert button.get_attribute("aria-pressed") == "false"
        assert len(browser.visible_keys()) == len(browser.deliveries)
    # Two platforms: either one.
    page.click('button[data-value="x"]')
    page.click('button[data-value="bluesky"]')
    assert set(browser.visible_keys()) == {
        d["key"] for d in browser.deliveries if d["platform"] in ("x", "bluesky")
    }
    browser.reset()


def test_day_filter_and_both_together(browser: Browser) -> None:
    page = browser.page
    days = sorted({d["at"][:10] for d in browser.deliveries})
    assert len(days) > 1
    for day in days:
        page.click(f'button[data-filter="day"][data-value="{day}"]')
        assert set(browser.visible_keys()) == {
            d["key"] for d in browser.deliveries if d["at"].startswith(day)
        }
        # The other days' sections are hidden, and so are their columns at a glance.
        hidden = page.evaluate(
            """() => [...document.querySelectorAll('section.day')]
                .filter(s => s.getClientRects().length > 0).map(s => s.dataset.day)"""
        )
        assert hidden == [day]
        page.click(f'button[data-filter="day"][data-value="{day}"]')
    page.click(f'button[data-filter="day"][data-value="{days[1]}"]')
    page.click('button[data-value="mastodon"]')
    assert set(browser.visible_keys()) == {
        d["key"]
        for d in browser.deliveries
        if d["at"].startswith(days[1]) and d["platform"] == "mastodon"
    }
    assert page.inner_text("#status").startswith(f"Showing {len(browser.visible_keys())} of ")
    browser.reset()


def test_keyboard_reaches_and_toggles_the_filters(browser: Browser) -> None:
    page = browser.page
    page.reload()  # focus starts at the top of the page again
    reached = None
    for _ in range(3):  # the skip link, then the first filter
        page.keyboard.press("Tab")
        reached = page.evaluate(
            "() => document.activeElement && document.activeElement.dataset.filter"
        )
        if reached == "platform":
            break
    assert reached == "platform", "Tab never reached a platform filter"
    platform = page.evaluate("() => document.activeElement.dataset.value")
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.getAttribute('aria-pressed')") == "true"
    assert {k.rsplit(":", 1)[-1].split("#")[0] for k in browser.visible_keys()} == {platform}
    page.keyboard.press("Space")
    assert page.evaluate("() => document.activeElement.getAttribute('aria-pressed')") == "false"
    assert len(browser.visible_keys()) == len(browser.deliveries)


# The axe-style check, written here (axe-core would be a script injected from npm): every image
# has alt text, and every visible piece of text has a contrast of at least 4.5:1 against the
# background it is drawn on (the first ancestor with a background colour that is not transparent).
CHECK = """() => {
  const parse = (c) => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  const lum = ([r, g, b]) => { const f = (v) => { v /= 255;
    return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c[3] > 0) return c;
    }
    return [255, 255, 255, 1];
  };
  const bad = [];
  let checked = 0;
  for (const el of document.querySelectorAll('body *')) {
    if (['SCRIPT', 'STYLE', 'METER', 'OPTION', 'NOSCRIPT'].includes(el.tagName)) continue;
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const style = getComputedStyle(el);
    const rects = [...el.getClientRects()].filter(r => r.width > 0 && r.height > 0);
    if (!rects.length || style.visibility !== 'visible') continue;
    if (parseFloat(style.fontSize) === 0) continue;
    const fg = parse(style.color), bg = background(el);
    const a = fg[3], mixed = [0, 1, 2].map(i => fg[i] * a + bg[i] * (1 - a));
    const [hi, lo] = [lum(mixed), lum(bg)].sort((x, y) => y - x);
    const ratio = (hi + 0.05) / (lo + 0.05);
    checked++;
    const what = `${el.tagName}.${el.className} "${el.textContent.trim().slice(0, 30)}"`;
    const on = `rgb(${bg.slice(0, 3)})`;
    if (ratio < 4.5) bad.push(`${what} ${style.color} on ${on}: ${ratio.toFixed(2)}`);
  }
  const images = [...document.querySelectorAll('img')];
  const noAlt = images.filter(i => !(i.getAttribute('alt') || '').trim())
    .map(i => i.outerHTML.slice(0, 80));
  return {bad, checked, images: images.length, noAlt};
}"""


def test_accessibility_alt_text_and_contrast(browser: Browser) -> None:
    page = browser.page
    browser.reset()
    result = page.evaluate(CHECK)
    assert result["checked"] > 10 * len(browser.deliveries)
    assert result["images"] == sum(len(d["images"]) for d in browser.deliveries) > 0
    assert result["noAlt"] == []
    assert result["bad"] == []
    page.click('button[data-value="x"]')  # pressed buttons are drawn in other colours
    page.click('button[data-filter="day"]')
    pressed = page.evaluate(CHECK)
    browser.reset()
    assert pressed["bad"] == []
    # The check itself finds pale text and an image without alt text.
    page.evaluate(
        """() => { const p = document.createElement('p'); p.id = 'pale';
            p.style.color = '#999'; p.textContent = 'pale'; document.body.append(p);
            const i = document.createElement('img'); i.id = 'noalt'; document.body.append(i); }"""
    )
    try:
        caught = page.evaluate(CHECK)
    finally:
        page.evaluate(
            "() => { document.getElementById('pale').remove();"
            " document.getElementById('noalt').remove(); }"
        )
    assert len(caught["bad"]) == 1 and "pale" in caught["bad"][0]
    assert len(caught["noAlt"]) == 1
    landmarks = page.evaluate(
        "() => ['header', 'main', 'nav', 'section', 'article', 'h1', 'h2']"
        ".map(t => document.querySelectorAll(t).length)"
    )
    assert all(landmarks), landmarks
    assert page.get_attribute("html", "lang") == "en"


def test_print_puts_each_day_on_its_own_page(browser: Browser) -> None:
    page = browser.page
    page.emulate_media(media="print")
    try:
        breaks = page.evaluate(
            """() => [...document.querySelectorAll('section.day')]
                .map(s => getComputedStyle(s).breakBefore)"""
        )
        filters = page.evaluate(
            "() => getComputedStyle(document.querySelector('.filters')).display"
        )
    finally:
        page.emulate_media(media="screen")
    assert breaks and set(breaks) == {"page"}
    assert filters == "none"


def test_screenshot_of_the_example_week(browser: Browser) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "preview-week.png"
    browser.reset()
    browser.page.evaluate("() => window.scrollTo(0, 0)")
    browser.page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # The README's copy: 256 colours (a third of the size, the same to the eye).
    from PIL import Image

    with Image.open(shot) as image:
        assert image.width == 1280 and image.height > 900
        # The README's copy is refreshed on request only, so a test run leaves the tree clean:
        # CLARION_UPDATE_SCREENSHOT=1 .venv/bin/pytest tests/render/test_html_browser.py
        if os.environ.get("CLARION_UPDATE_SCREENSHOT"):
            small = image.convert("RGB").quantize(256, dither=Image.Dither.NONE)
            small.save(SCREENSHOT, optimize=True)
