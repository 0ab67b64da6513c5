"""Quote cards: drawn for each quote, sized to fit inside the margins, cached, checked."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PIL import Image as PILImage

from clarion.campaign import media
from clarion.campaign.model import Card, QuoteItem
from clarion.checking import Checked, check_files
from clarion.cli.preview import as_json
from clarion.render import cards
from clarion.render.cards import drawing
from tests.campaign.test_validation import pos, where
from tests.conftest import EXAMPLE, HEAD, Run, only, png

NAVY, WHITE = (0x1D, 0x35, 0x57), (0xFF, 0xFF, 0xFF)

QUOTES = """\
quotes:
  template: "“{quote}” — {name}, {role}"
  times: ["12:00", "16:00"]
  card:
    background: "#1d3557"
    text_colour: "#ffffff"
    logo: media/logo.png
  items:
    - id: nichola
      quote: Co-production is coming together with others to create something together.
      name: Nichola
      role: Engagement Worker
"""
LOGO = {"media/logo.png": png(60, 20)}


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Checked:
    """The example campaign, checked in a copy (so its cards are drawn afresh)."""
    folder = tmp_path_factory.mktemp("example")
    shutil.copy(EXAMPLE, folder / EXAMPLE.name)
    shutil.copytree(EXAMPLE.parent / "media", folder / "media")
    return check_files([folder / EXAMPLE.name], prepare=cards.prepare)


def card_files(result: Checked) -> dict[str, Path]:
    """Each quote's card file, by post id."""
    return {
        d.post: Path(d.media[0].file)
        for d in result.deliveries
        if d.post.startswith("quote") and d.thread_index == 0
    }


def assert_margins_clear(file: Path, background: tuple[int, int, int]) -> None:
    """Every pixel of the 6% margin band is the background colour: no glyph reaches it."""
    with PILImage.open(file) as img:
        rgb = img.convert("RGB")
    w, h = rgb.size
    m = round(min(w, h) * cards.MARGIN)
    for box in ((0, 0, w, m), (0, h - m, w, h), (0, 0, m, h), (w - m, 0, w, h)):
        assert rgb.crop(box).getcolors() == [((box[2] - box[0]) * (box[3] - box[1]), background)]
    inner = rgb.crop((m, m, w - m, h - m)).getcolors(1 << 16)
    assert inner is not None and len(inner) > 2, "the card has something drawn on it"


# --- the example's cards ------------------------------------------------------------------


def test_a_card_for_each_example_quote_inside_its_margins(example: Checked) -> None:
    result = example
    assert result.problems == []
    files = card_files(result)
    assert sorted(files) == ["quote-ben", "quote-grace", "quote-lauren", "quote-nichola"]
    assert len(set(files.values())) == 4
    for file in files.values():
        assert file.parent == result.campaigns[0].source.folder / ".clarion" / "cards"
        with PILImage.open(file) as img:
            assert (img.format, img.size) == ("PNG", (1080, 1080))
        assert_margins_clear(file, NAVY)


def test_the_card_goes_with_every_platform_first_part_only_with_the_whole_quote_as_alt(
    example: Checked,
) -> None:
    result = example
    loaded = result.campaigns[0]
    assert loaded.campaign.quotes is not None
    lauren = next(q for q in loaded.campaign.quotes.items if q.id == "quote-lauren")
    mine = [d for d in result.deliveries if d.post == "quote-lauren"]
    assert {d.platform for d in mine if d.thread_index == 0} == {
        "x",
        "facebook",
        "mastodon",
        "bluesky",
    }
    for d in mine:
        if d.thread_index > 0:
            assert d.media == ()
            continue
        card = d.media[0]
        assert card.path.startswith(".clarion/cards/") and card.path.endswith(".png")
        assert card.alt == f"“{lauren.quote}” — Lauren, Engagement Worker"
        # what the engine checks again at send time: the same file, inside the campaign folder
        assert media.resolve(loaded.source.folder, card.path) == Path(card.file).resolve()
    items = {d.key: as_json(d, result.fits[d.key], None) for d in result.deliveries}
    assert items["coproduction-week-2022:quote-lauren:x"]["images"][0]["alt"].endswith("Worker")


def test_short_stands_in_only_where_the_whole_quote_is_too_long(example: Checked) -> None:
    result = example
    ben = {d.platform: d for d in result.deliveries if d.post == "quote-ben"}
    assert set(ben) == {"x", "bluesky", "mastodon", "facebook"}  # no thread parts any more
    for name in ("x", "bluesky"):
        assert ben[name].text.startswith("“Everyone's voice counts the same.” — Ben")
    for name in ("mastodon", "facebook"):
        assert ben[name].text.startswith("“As an apprentice I was nervous")
    assert all("As an apprentice" in d.media[0].alt for d in ben.values())


# --- drawing ------------------------------------------------------------------------------


def item(quote: str, name: str = "Nichola", role: str | None = "Engagement Worker") -> QuoteItem:
    return QuoteItem(quote=quote, name=name, role=role)


def style(tmp_path: Path, **card: str) -> cards.Style:
    (tmp_path / "logo.png").write_bytes(png(60, 20))
    fields = {"background": "#1d3557", "text_colour": "#ffffff", "logo": "logo.png", **card}
    return cards.style(tmp_path, Card.model_validate(fields))


def test_size_follows_the_setting_and_the_margins_stay_clear(tmp_path: Path) -> None:
    st = style(tmp_path, size="1200x675", background="#ffffff", text_colour="#000")
    data = cards.draw(item("Nothing about us without us."), st)
    (tmp_path / "card.png").write_bytes(data)
    with PILImage.open(tmp_path / "card.png") as img:
        assert img.size == (1200, 675)
    assert_margins_clear(tmp_path / "card.png", WHITE)


def test_the_same_inputs_give_the_same_bytes(tmp_path: Path) -> None:
    st = style(tmp_path)
    one = item("Co-production is coming together with others to create something together.")
    assert cards.draw(one, st) == cards.draw(one, st)


def test_a_long_quote_gets_smaller_letters_and_still_fits(tmp_path: Path) -> None:
    st = style(tmp_path)
    short_q = "Nothing about us without us."
    long_q = " ".join(["Co-production means sharing power from the very first idea."] * 14)
    font = drawing.Font(cards.REGULAR)
    box = (900, 700, 80, 28)
    assert (
        drawing.fit_quote(font, long_q, *box).font.size
        < drawing.fit_quote(font, short_q, *box).font.size
    )
    (tmp_path / "long.png").write_bytes(cards.draw(item(long_q), st))
    assert_margins_clear(tmp_path / "long.png", NAVY)
    # a word longer than a line is cut, not drawn over the margin
    word = "Co-production" * 12
    (tmp_path / "word.png").write_bytes(cards.draw(item(word, name="A" * 3), st))
    assert_margins_clear(tmp_path / "word.png", NAVY)


def test_a_quote_too_long_even_in_the_smallest_letters_is_refused(run: Run) -> None:
    words = "We agree the agenda together and everyone's voice counts the same. " * 40
    text = HEAD + QUOTES.replace(
        "quote: Co-production is coming together with others to create something together.",
        f"quote: {words.strip()}",
    )
    result = run(text, files=LOGO)
    problems = [p for p in result.problems if "too long for its card" in p.message]
    assert len(problems) == 1
    assert "smallest letters (28 px)" in problems[0].message
    assert "Shorten it, or make the card larger" in problems[0].message
    assert where(problems[0]) == pos(text, "We agree")


# --- the cache ----------------------------------------------------------------------------


def test_the_cache_is_reused_when_nothing_changed_and_renewed_when_the_quote_does(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn: list[str] = []
    real = cards.draw

    def counting(q: QuoteItem, st: cards.Style) -> bytes:
        drawn.append(q.quote)
        return real(q, st)

    monkeypatch.setattr(cards, "draw", counting)
    first = run(HEAD + QUOTES, files=LOGO)
    assert first.problems == [] and len(drawn) == 1
    file = Path(first.deliveries[0].media[0].file)
    before = file.stat()
    again = run(HEAD + QUOTES, files=LOGO)
    assert again.problems == [] and len(drawn) == 1, "nothing changed: nothing drawn again"
    assert Path(again.deliveries[0].media[0].file) == file
    after = file.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    changed = run(HEAD + QUOTES.replace("something together", "something new"), files=LOGO)
    assert changed.problems == [] and len(drawn) == 2
    new_file = Path(changed.deliveries[0].media[0].file)
    assert new_file != file and new_file.is_file()
    assert sorted(p.name for p in (tmp_path / ".clarion" / "cards").iterdir()) == sorted(
        [file.name, new_file.name]
    )
    # a new logo is a new card too
    run(
        HEAD + QUOTES.replace("something together", "something new"),
        files={"media/logo.png": png(30, 30)},
    )
    assert len(drawn) == 3


def test_a_deleted_card_is_drawn_again_identical(run: Run) -> None:
    first = run(HEAD + QUOTES, files=LOGO)
    file = Path(first.deliveries[0].media[0].file)
    data = file.read_bytes()
    file.unlink()
    again = run(HEAD + QUOTES, files=LOGO)
    assert again.problems == [] and file.read_bytes() == data


def test_pillow_is_imported_only_to_draw_a_card(tmp_path: Path) -> None:
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "logo.png").write_bytes(png(60, 20))
    plain = HEAD + "posts:\n  - {at: 2022-07-04 09:00, text: Hello}\n"
    (tmp_path / "plain.yaml").write_text(plain)
    (tmp_path / "cards.yaml").write_text(textwrap.dedent(HEAD + QUOTES))
    code = (
        "import sys; from pathlib import Path; "
        "from clarion.checking import check_files; from clarion.render.cards import prepare; "
        "r = check_files([Path(sys.argv[1])], prepare=prepare); assert r.ok, r.problems; "
        "print('PIL' in sys.modules)"
    )

    def pil_used(name: str) -> str:
        args = [sys.executable, "-c", code, str(tmp_path / name)]
        return subprocess.run(args, capture_output=True, text=True, check=True).stdout.strip()

    assert pil_used("plain.yaml") == "False"
    assert pil_used("cards.yaml") == "True"  # drawn now
    assert pil_used("cards.yaml") == "False"  # cached


# --- validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "needle", "words"),
    [
        ('background: "#1d3557"', "background: navy", "navy", "`navy` is not a colour"),
        ('text_colour: "#ffffff"', 'text_colour: "#fffff"', '"#fffff"', "is not a colour"),
        ('text_colour: "#ffffff"', 'text_colour: "#2a4060"', '"#2a4060"', "contrast of 1."),
        ("logo: media/logo.png", "logo: media/missing.png", "media/missing.png", "does not exist"),
        ("logo: media/logo.png", "logo: ../logo.png", "../logo.png", "outside the campaign"),
        ("logo: media/logo.png", "logo: /etc/passwd", "/etc/passwd", "absolute path"),
        ("logo: media/logo.png", "logo: week.yaml", "week.yaml", "use a PNG, JPEG"),
        ("logo: media/logo.png", "size: 100x100", "100x100", "too small"),
        ("logo: media/logo.png", "size: square", "square", "is not a size"),
        ("logo: media/logo.png", "size: 4000x400", "4000x400", "too narrow"),
        (
            "logo: media/logo.png",
            "font: fonts/none.ttf",
            "fonts/none.ttf",
            "could not read the font",
        ),
    ],
)
def test_card_settings_are_checked_with_line_and_column(
    run: Run, old: str, new: str, needle: str, words: str
) -> None:
    text = HEAD + QUOTES.replace(old, new)
    p = only(run(text, files={**LOGO, "logo.png": png()}))
    assert words in p.message
    assert where(p) == pos(text, needle)


def test_a_logo_linked_from_outside_is_refused(run: Run, tmp_path: Path) -> None:
    outside = tmp_path.parent / f"{tmp_path.name}-outside.png"
    outside.write_bytes(png())
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "logo.png").symlink_to(outside)
    text = HEAD + QUOTES
    p = only(run(text))
    assert "outside the campaign's folder" in p.message and p.message.startswith("`media/logo")
    assert where(p) == pos(text, "media/logo.png")


def test_short_needs_a_card(run: Run) -> None:
    text = HEAD + QUOTES.replace(
        "      role: Engagement Worker\n", "      role: Engagement Worker\n      short: Together.\n"
    )
    text = text[: text.index("  card:")] + text[text.index("  items:") :]
    p = only(run(text))
    assert "no card" in p.message
    assert where(p) == pos(text, "short")


def test_the_card_counts_against_the_images_per_post(run: Run) -> None:
    four = "".join(f"\n        - {{path: media/logo.png, alt: Logo {n}}}" for n in range(4))
    text = HEAD + QUOTES.replace(
        "      role: Engagement Worker\n", f"      role: Engagement Worker\n      images:{four}\n"
    )
    p = only(run(text, files=LOGO))
    assert "With its quote card this quote has 5 images" in p.message
    assert "Mastodon takes at most 4" in p.message
    assert where(p) == pos(text, "- {path")


# --- the ledger and the engine ------------------------------------------------------------


def test_a_scheduled_card_is_sent_and_checked_again_at_send_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clarion.ledger import open_ledger
    from clarion.ledger.states import State
    from tests.fakes import FakeAdapter
    from tests.ledger.helpers import run, schedule

    monkeypatch.setattr(FakeAdapter, "platforms", {})
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "logo.png").write_bytes(png(60, 20))
    week = HEAD + QUOTES + "    - {id: grace, quote: Lived experience is expertise., name: Grace}\n"
    week = week.replace("{role}", "{name}")
    ledger = open_ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    try:
        schedule(ledger, tmp_path, week)
        row = ledger.get("week:nichola:mastodon")
        assert row is not None
        (card,) = row.delivery.media
        assert card.path.startswith(".clarion/cards/") and card.alt.startswith("“Co-prod")
        assert Path(card.file).is_file()
        report = run(ledger, "2022-07-04T11:00:00Z")
        assert [(r.key, r.state) for r in report.results] == [
            ("week:nichola:mastodon", State.PUBLISHED)
        ]
        # an edited quote is a new card: the unsent delivery is updated to it
        edited = week.replace("Lived experience is expertise.", "Lived experience counts.")
        changes = schedule(ledger, tmp_path, edited)[0].changes
        assert [(c.key, c.what) for c in changes] == [("week:grace:mastodon", "updated")]
        grace = ledger.get("week:grace:mastodon")
        assert grace is not None
        new_card = Path(grace.delivery.media[0].file)
        new_card.unlink()  # the cache was cleaned after scheduling
        report = run(ledger, "2022-07-04T15:00:00Z")
        (result,) = report.results
        assert result.state == State.FAILED and "no longer in the cache" in result.detail
        assert "clarion schedule" in result.detail
    finally:
        ledger.close()


def test_a_declared_font_is_used_and_a_broken_one_refused(run: Run, tmp_path: Path) -> None:
    brand = {**LOGO, "fonts/brand.ttf": cards.BOLD.read_bytes()}
    plain = run(HEAD + QUOTES, files=brand)
    text = HEAD + QUOTES.replace(
        "logo: media/logo.png", "logo: media/logo.png\n    font: fonts/brand.ttf"
    )
    declared = run(text, files=brand)
    assert plain.problems == [] and declared.problems == []
    one, other = Path(plain.deliveries[0].media[0].file), Path(declared.deliveries[0].media[0].file)
    assert one != other and one.read_bytes() != other.read_bytes()
    absolute = text.replace("fonts/brand.ttf", str(cards.BOLD))
    assert run(absolute).problems == []
    p = only(run(text, files={"fonts/brand.ttf": b"\x00\x01\x00\x00 not really a font"}))
    assert "could not use the font" in p.message
    assert where(p) == pos(text, "fonts/brand.ttf")
