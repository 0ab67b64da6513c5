"""The HTML preview without a browser: what the page holds, parsed with the standard library."""

from __future__ import annotations

import json
import re
import textwrap
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from clarion.checking import Checked, check_files
from clarion.cli import cli
from clarion.render import _html_card, _html_images, html
from clarion.render._html_text import entities, highlight
from tests.conftest import EXAMPLE, HEAD, png


class Page(HTMLParser):
    """Cards (data-key -> attributes and the text content of their .text), and every tag."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.cards: dict[str, dict[str, str | None]] = {}
        self.texts: dict[str, str] = {}
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.alerts: list[str] = []
        self._key: str | None = None
        self._text_depth = 0  # > 0 inside a card's .text
        self._alert_depth = 0
        self._buffer: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "article" and a.get("data-key"):
            self._key = a["data-key"]
            self.cards[a["data-key"] or ""] = a
        if self._text_depth:
            self._text_depth += 1
        elif tag == "p" and a.get("class") == "text":
            self._text_depth = 1
            self._buffer = []
        if self._alert_depth:
            self._alert_depth += 1
            if tag == "li":
                self._buffer = []
        elif a.get("role") == "alert":
            self._alert_depth = 1

    def handle_endtag(self, tag: str) -> None:
        if self._text_depth:
            self._text_depth -= 1
            if not self._text_depth and self._key:
                self.texts[self._key] = "".join(self._buffer)
        if self._alert_depth:
            self._alert_depth -= 1
            if tag == "li":
                self.alerts.append(" ".join("".join(self._buffer).split()))

    def handle_data(self, data: str) -> None:
        if self._text_depth or self._alert_depth:
            self._buffer.append(data)


def parse(page: str) -> Page:
    parser = Page()
    parser.feed(page)
    parser.close()
    return parser


@pytest.fixture(scope="module")
def example() -> Checked:
    result = check_files([EXAMPLE])
    assert result.ok, result.problems
    return result


def test_one_card_per_delivery_with_its_exact_text(example: Checked) -> None:
    page = parse(html.render(example, example.deliveries))
    assert len(page.cards) == len(example.deliveries) > 0
    for d in example.deliveries:
        card = page.cards[d.key]
        assert card["data-platform"] == d.platform
        assert card["data-day"] == d.at.date().isoformat()
        assert page.texts[d.key] == d.text


def test_the_page_asks_for_nothing_outside_itself(example: Checked) -> None:
    page = html.render(example, example.deliveries)
    parsed = parse(page)
    assert not [t for t, _ in parsed.tags if t in ("link", "iframe", "object", "embed", "base")]
    for tag, attrs in parsed.tags:
        if "src" in attrs:
            assert (attrs["src"] or "").startswith("data:"), (tag, attrs["src"])
        if tag == "script":
            assert "src" not in attrs
        if "href" in attrs and tag != "a":
            pytest.fail(f"<{tag} href=...> would load something")
    style = page.split("<style>")[1].split("</style>")[0]
    urls = re.findall(r"url\(([^)]{0,20})", style)
    assert urls and all(u.startswith('"data:image/') for u in urls), urls  # the images, once
    assert "@import" not in page
    assert "default-src 'none'" in page  # and the browser is told to refuse anything else
    images = [a for t, a in parsed.tags if t == "img"]
    assert len(images) == sum(len(d.media) for d in example.deliveries) > 0
    assert all((a.get("alt") or "").strip() for a in images)


def test_each_image_file_is_read_once(tmp_path: Path) -> None:
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "a.png").write_bytes(png(3, 3))
    path = tmp_path / "week.yaml"
    path.write_text(
        HEAD.replace("[mastodon]", "[mastodon, bluesky, x]")
        + "posts:\n"
        + "".join(
            f"  - {{at: 2022-07-0{n} 09:00, text: Post {n}, "
            "images: [{path: media/a.png, alt: A grey square}]}\n"
            for n in (4, 5)
        )
    )
    result = check_files([path])
    assert result.ok, result.problems
    _html_images.picture.cache_clear()
    page = html.render(result, result.deliveries)
    assert _html_images.picture.cache_info().misses == 1
    assert page.count("data:image/") == 1  # in the page once, shown on six cards
    assert page.count('alt="A grey square"') == 6
    assert page.count("<figcaption>") == 6


def test_threads_are_connected_and_replies_say_so(example: Checked) -> None:
    page = html.render(example, example.deliveries)
    parts = [d for d in example.deliveries if d.key.endswith("#2")]
    assert parts
    assert page.count('class="thread multi"') == len(parts)
    assert page.count('<p class="reply">Reply to part 1</p>') == len(parts)
    assert page.count('<span class="part">2/2</span>') == len(parts)


def test_length_meter_and_warnings_in_plain_words(example: Checked) -> None:
    d = example.deliveries[0]
    fit = example.fits[d.key]
    over = fit._replace(
        length=fit.limit + 12, over=(f"{fit.limit + 12} graphemes, the limit is 300",)
    )
    card = _html_card.card(d, over, 1)
    assert f'<meter min="0" max="{fit.limit}"' in card
    assert f'value="{fit.limit + 12}"' in card
    assert "12 over" in card
    assert (
        '<ul class="warn"><li>Too long for Bluesky: 312 graphemes, the limit is 300.</li>' in card
    )
    fits = _html_card.card(d, fit, 1)
    assert f"{fit.length} / {fit.limit} graphemes · {fit.limit - fit.length} left" in fits
    assert "warn" not in fits


def test_quoted_post_is_shown(example: Checked) -> None:
    first = example.deliveries[0]
    content = replace(first.content, quote_of="https://bsky.app/profile/a.test/post/3k")
    d = replace(first, content=content)
    card = _html_card.card(d, example.fits[first.key], 1)
    assert '<span class="k">Quotes</span> <a href="https://bsky.app/profile/a.test/post/3k"' in card


def test_text_and_names_are_escaped(example: Checked) -> None:
    d = example.deliveries[0]
    fit = example.fits[d.key]
    evil = replace(
        d,
        key='k"><script>alert(1)</script>',
        content=replace(d.content, text='<b>bold</b> & "quoted"\r\nnext'),
        account="<a>",
    )
    page = parse(_html_card.card(evil, fit, 1))
    assert not [t for t, _ in page.tags if t in ("script", "b")]
    assert page.texts[evil.key] == evil.text  # the carriage return survives (as &#13;)
    assert "&#13;" in _html_card.card(evil, fit, 1)


def test_platform_highlighting() -> None:
    text = "Hi @alice, see example.org/a and https://www.example.org/a/very/long/path/here #Tag"

    def kinds(platform: str) -> list[tuple[str, str]]:
        return [(e.kind, text[e.start : e.end]) for e in entities(platform, text)]

    # X links a bare domain; Mastodon only a URL with its protocol.
    assert ("link", "example.org/a") in kinds("x")
    assert ("link", "example.org/a") not in kinds("mastodon")
    assert ("mention", "@alice") in kinds("x") and ("mention", "@alice") in kinds("mastodon")
    # Bluesky: a mention needs a handle with a domain; Facebook Pages show no mentions.
    assert not [k for k, _ in kinds("bluesky") if k == "mention"]
    assert not [k for k, _ in kinds("facebook") if k == "mention"]
    for platform in ("x", "mastodon", "bluesky", "facebook"):
        assert ("tag", "#Tag") in kinds(platform)
    # Mastodon shows a long link without https://www. and cut after 30 characters.
    marked = highlight("mastodon", text)
    assert '<span class="invisible">https://www.</span>' in marked
    assert '<span class="ellipsis">example.org/a/very/long/path/h</span>' in marked
    # Every platform's markup has the text itself as its text content.
    for platform in ("x", "mastodon", "bluesky", "facebook"):
        assert re.sub(r"<[^>]+>", "", highlight(platform, text)) == text


def test_bluesky_facets_map_to_characters() -> None:
    text = "Café ☕ with @alice.bsky.social #Täg https://exämple.org/ü"
    found = {text[e.start : e.end] for e in entities("bluesky", text)}
    assert found == {"@alice.bsky.social", "#Täg", "https://exämple.org/ü"}


def test_a_remote_mastodon_mention_shows_as_the_local_part() -> None:
    marked = highlight("mastodon", "Thanks @ann@social.example!")
    assert '@ann<span class="invisible">@social.example</span>' in marked


def test_an_invalid_campaign_lists_its_problems_at_the_top(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        HEAD + "posts:\n  - at: 2022-07-04 09:00\n    text: Hello\n    hashtags: [nope]\n"
    )
    good = tmp_path / "good.yaml"
    good.write_text(
        HEAD.replace("Test Week", "Good Week") + "posts:\n  - {at: 2022-07-05 10:00, text: Hi}\n"
    )
    out = tmp_path / "week.html"
    result = CliRunner().invoke(
        cli, ["preview", str(bad), str(good), "--format", "html", "-o", str(out)]
    )
    assert result.exit_code == 1, result.output
    checked = check_files([bad, good], [str(bad), str(good)])
    assert checked.problems
    page = parse(out.read_text(encoding="utf-8"))
    assert page.alerts == [str(p) for p in checked.problems]
    assert len(page.cards) == 2  # the valid campaign, and the invalid one's card
    marked = page.cards["bad:post-1:mastodon"]
    assert "has-problems" in (marked["class"] or "")
    assert "has-problems" not in (page.cards["good:post-1:mastodon"]["class"] or "")
    card = out.read_text(encoding="utf-8").split('data-key="bad:post-1:mastodon"')[1]
    card = card.split("</article>")[0]
    assert "Will not go out until fixed:" in card
    assert all(f"{p.file}:{p.line}:{p.column}:" in card for p in checked.problems)


def test_no_deliveries_still_makes_a_page() -> None:
    page = html.render(Checked(), [])
    assert "There are no posts to show" in page
    assert "<article" not in page


def _many(tmp_path: Path, weeks: int) -> Checked:
    path = tmp_path / "long.yaml"
    path.write_text(
        textwrap.dedent(
            f"""\
            version: 1
            name: Long <Campaign>
            timezone: Europe/London
            dates: {{start: 2022-07-04, end: 2022-{7 + weeks // 4:02d}-28}}
            platforms: [x, mastodon]
            posts:
            """
        )
        + "".join(
            f"  - {{day: {1 + 7 * w}, time: '09:00', text: 'Week {w} </script> #Tag'}}\n"
            for w in range(weeks)
        )
    )
    result = check_files([path])
    assert result.ok, result.problems
    return result


def test_large_pages_keep_later_weeks_as_strings(tmp_path: Path) -> None:
    result = _many(tmp_path, 5)
    page = html.render(result, result.deliveries, inline_limit=3)
    blobs = re.findall(r'<script type="application/json" data-week="([^"]+)">(.*?)</script>', page)
    assert len(blobs) == 4  # every week but the first
    for _, blob in blobs:
        assert "<" not in blob  # cannot end its <script> early
    later = "".join(json.loads(blob) for _, blob in blobs)
    shown = parse(page)
    keys = set(shown.cards) | set(parse(later).cards)
    assert keys == {d.key for d in result.deliveries}
    assert len(shown.cards) == 2
    assert page.count("<option value=") == 5
    # Small enough: every week is in the page (and all show without JavaScript).
    assert "application/json" not in html.render(result, result.deliveries)


def test_weeks_built_in_parallel_are_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = _many(tmp_path, 6)
    serial = html.render(result, result.deliveries, inline_limit=3, workers=1)
    monkeypatch.setattr(html, "PARALLEL_FROM", 1)
    assert html.render(result, result.deliveries, inline_limit=3, workers=2) == serial


def test_cli_writes_the_page(tmp_path: Path) -> None:
    out = tmp_path / "week.html"
    result = CliRunner().invoke(
        cli, ["preview", str(EXAMPLE), "--format", "html", "-o", str(out), "--platform", "x"]
    )
    assert result.exit_code == 0, result.output
    page = parse(out.read_text(encoding="utf-8"))
    assert {c["data-platform"] for c in page.cards.values()} == {"x"}


def test_an_invalid_week_shows_every_card_with_problems_on_theirs(tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "campaigns"
    shutil.copytree(EXAMPLE.parent, folder)
    path = folder / EXAMPLE.name
    text = path.read_text(encoding="utf-8")
    text = text.replace("  - id: what-it-means\n", "  - id: what-it-means\n    hashtags: [nope]\n")
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "week.html"
    result = CliRunner().invoke(cli, ["preview", str(path), "--format", "html", "-o", str(out)])
    assert result.exit_code == 1, result.output
    valid = check_files([EXAMPLE])
    page = parse(out.read_text(encoding="utf-8"))
    assert len(page.cards) == len(valid.deliveries)
    marked = {k for k, a in page.cards.items() if "has-problems" in (a["class"] or "")}
    assert marked and all(":what-it-means:" in k for k in marked)
    assert marked == {d.key for d in valid.deliveries if d.post == "what-it-means"}
    assert len(page.alerts) == 1 and "`nope` is not a hashtag" in page.alerts[0]
