"""The preview page as a manager reads it: on a 390 px phone, printed, with a sign-off block and
cards changed since the sign-off, each image embedded once; in Debian's headless Chromium."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clarion.checking import check_files
from clarion.render import html
from clarion.signoff import short
from tests.conftest import EXAMPLE
from tests.render.test_html_browser import ARGS, CHECK, CHROMIUM
from tests.render.test_html_signoff import SLUG, signed


class Phone:
    def __init__(self, url: str, changed: list[str], new: list[str]) -> None:
        self.url = url
        self.changed = changed
        self.new = new
        self.requests: list[str] = []
        self.refused: list[str] = []
        self.pages: dict[str, Any] = {}


@pytest.fixture(scope="module")
def phone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Phone]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/ensure-chromium and try again.")
    from playwright.sync_api import Route, sync_playwright

    example = check_files([EXAMPLE], [str(EXAMPLE)])
    assert example.ok, example.problems
    s, changed, new = signed(example)
    out = Path(tmp_path_factory.mktemp("phone")) / "week.html"
    out.write_text(html.render(example, example.deliveries, signoffs={SLUG: s}), encoding="utf-8")
    state = Phone(out.as_uri(), changed, new)
    state.pages["plan"] = short(s.current_plan)

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
            for name, js in (("js", True), ("nojs", False)):
                context = chromium.new_context(
                    viewport={"width": 390, "height": 844},
                    device_scale_factor=2,
                    is_mobile=True,
                    has_touch=True,
                    java_script_enabled=js,
                )
                context.route("**/*", route)
                page = context.new_page()
                errors: list[str] = []
                page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
                page.goto(state.url)
                page.wait_for_load_state("load")
                assert not errors
                state.pages[name] = page
            yield state
        finally:
            chromium.close()


def test_the_sign_off_block_reads_as_a_manager_needs(phone: Phone) -> None:
    page = phone.pages["js"]
    text = page.inner_text("section.signoff")
    assert "Approved by Priya Shah on Thursday 2 June 2022 at 14:05 BST (UTC+01:00)." in text
    assert "Not the approved plan: 1 changed and 1 new since the sign-off" in text
    assert f"--plan {phone.pages['plan']}" in text
    assert page.is_visible("section.signoff .so-cmd")


def test_changed_cards_are_marked_in_words_not_colour_alone(phone: Phone) -> None:
    page = phone.pages["js"]
    for key, words in [
        (phone.changed[0], "Changed since sign-off on 2 June 2022"),
        (phone.new[0], "New since sign-off on 2 June 2022"),
    ]:
        card = page.locator(f'article.card[data-key="{key}"]')
        assert card.locator("p.so").inner_text().strip().endswith(words)
        assert card.locator("p.so").is_visible()
        assert re.search(r"\bso-(changed|new)\b", card.get_attribute("class") or "")
    assert page.locator("article.card p.so").count() == 2


def test_at_390_px_nothing_is_cut_off(phone: Phone) -> None:
    for name in ("js", "nojs"):
        page = phone.pages[name]
        found = page.evaluate(
            """() => {
              const vw = document.documentElement.clientWidth, out = [];
              const scrolls = e => { for (let p = e.parentElement; p; p = p.parentElement) {
                  const s = getComputedStyle(p);
                  if (/(auto|scroll)/.test(s.overflowX) && p.scrollWidth > p.clientWidth) return p;
                } return null; };
              let grids = 0, hints = 0;
              for (const wrap of document.querySelectorAll('.glance-wrap')) {
                grids++;
                const hint = wrap.nextElementSibling;
                if (hint && hint.classList.contains('scroll-hint') && hint.getClientRects().length)
                  hints++;
                for (const th of wrap.querySelectorAll('thead th[data-day]')) {
                  const r = th.getBoundingClientRect();
                  if (r.right > vw + 1 && !scrolls(th)) out.push('day ' + th.dataset.day);
                  if (r.right > vw + 1) {  // reachable: scroll the grid to it
                    const box = scrolls(th);
                    box.scrollLeft = box.scrollWidth;
                    const after = th.getBoundingClientRect();
                    if (after.right > vw + 1) out.push('unreachable ' + th.dataset.day);
                    box.scrollLeft = 0;
                  }
                }
              }
              for (const e of document.querySelectorAll('main *, header.top *')) {
                if (e.closest('.glance-wrap') || !e.getClientRects().length) continue;
                const r = e.getBoundingClientRect();
                if (r.right > vw + 1) out.push(e.tagName + '.' + e.className);
              }
              return {out: out.slice(0, 10), grids, hints,
                      page: document.documentElement.scrollWidth, vw};
            }"""
        )
        assert found["grids"] > 0 and found["hints"] == found["grids"], found
        assert found["out"] == [], found
        assert found["page"] <= found["vw"], found


def test_each_image_shows_with_its_alt_text_with_and_without_javascript(phone: Phone) -> None:
    for name in ("js", "nojs"):
        page = phone.pages[name]
        shown = page.evaluate(
            """() => [...document.querySelectorAll('article.card img')].map(i => [
                 i.getAttribute('alt'), i.getBoundingClientRect().height,
                 getComputedStyle(i).content.startsWith('url('), !!i.getAttribute('src')])"""
        )
        assert shown, name
        assert all(alt and height > 40 for alt, height, _, _ in shown), (name, shown)
        assert all(css for _, _, css, _ in shown), (name, shown)
        if name == "js":
            assert all(src for _, _, _, src in shown)  # every browser, not only Chromium
    assert page.locator("text=Original:").count() > 0
    assert phone.refused == []
    assert all(u == phone.url or u.startswith("data:") for u in phone.requests)


def test_printed_one_day_per_page(phone: Phone, tmp_path: Path) -> None:
    page = phone.pages["js"]
    page.emulate_media(media="print")
    try:
        days = page.evaluate(
            """() => [...document.querySelectorAll('section.day')].map(s => {
                const c = getComputedStyle(s); return [c.breakBefore, c.breakInside]; })"""
        )
    finally:
        page.emulate_media(media="screen")
    assert days and all(d == ["page", "avoid"] for d in days), days
    pdf = page.pdf(format="A4")
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert pages >= len(days), (pages, len(days))


def test_the_sign_off_block_and_badges_are_legible(phone: Phone) -> None:
    page = phone.pages["js"]
    result = page.evaluate(CHECK)
    assert result["bad"] == [], result["bad"]
    assert result["noAlt"] == []
    checked = page.evaluate(
        "() => document.querySelectorAll('section.signoff *, article p.so').length"
    )
    assert checked > 5
