"""The page's sign-off block and the cards changed since a sign-off; real account names."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from clarion.checking import Checked, check_files
from clarion.render import _html_card, html
from clarion.signoff import SignOff, Standing, plan_hash, short
from tests.conftest import EXAMPLE

SLUG = "coproduction-week-2022"


@pytest.fixture(scope="module")
def example() -> Checked:
    result = check_files([EXAMPLE], [str(EXAMPLE)])
    assert result.ok, result.problems
    return result


def signed(
    example: Checked, changed: int = 1, new: int = 1
) -> tuple[SignOff, list[str], list[str]]:
    """A sign-off of the example week on 2 June 2022, with some cards changed and new since."""
    keys = sorted(d.key for d in example.deliveries)
    cards = {k: Standing.APPROVED for k in keys}
    for k in keys[:changed]:
        cards[k] = Standing.CHANGED
    for k in keys[changed : changed + new]:
        cards[k] = Standing.NEW
    s = SignOff(
        campaign=SLUG,
        by="Priya Shah",
        at_utc=dt.datetime(2022, 6, 2, 13, 5, tzinfo=dt.UTC),
        note="Fine <b>by me</b>",
        approved_plan="a" * 64,
        current_plan=plan_hash(example.deliveries),
        cards=cards,
    )
    return s, keys[:changed], keys[changed : changed + new]


def block(page: str) -> str:
    return page.split('<section class="signoff', 1)[1].split("</section>", 1)[0]


def test_the_block_says_who_when_which_plan_and_how_to_approve_this_page(example: Checked) -> None:
    s, changed, new = signed(example)
    page = html.render(example, example.deliveries, signoffs={SLUG: s})
    text = re.sub(r"<[^>]+>", "", block(page))
    assert "Approved by Priya Shah on Thursday 2 June 2022 at 14:05 BST (UTC+01:00)." in text
    assert "Fine &lt;b&gt;by me&lt;/b&gt;" in text  # escaped
    assert f"Approved plan: {'a' * 12}" in text
    current = short(plan_hash(example.deliveries))
    assert f"Plan on this page: {current}" in text
    assert "Not the approved plan: 1 changed and 1 new since the sign-off" in text
    assert f"clarion approve {EXAMPLE} --by NAME --plan {current}" in text
    for key, cls, words in [
        (changed[0], "so-changed", "Changed since sign-off on 2 June 2022"),
        (new[0], "so-new", "New since sign-off on 2 June 2022"),
    ]:
        card = page.split(f'data-key="{key}"', 1)[0].rsplit("<article", 1)[1]
        assert cls in card
        after = page.split(f'data-key="{key}"', 1)[1].split("</article>", 1)[0]
        assert words in after
    assert page.count('<p class="so so-') == 2


def test_a_page_never_signed_off_still_shows_its_hash_and_the_command(example: Checked) -> None:
    page = html.render(example, example.deliveries)
    text = re.sub(r"<[^>]+>", "", block(page))
    assert "Never signed off." in text
    current = short(plan_hash(example.deliveries))
    assert f"--plan {current}" in text
    assert "so-changed" not in page.split("</main>")[0].split("</section>", 1)[1]


def test_the_approved_plan_says_so(example: Checked) -> None:
    s, _, _ = signed(example, 0, 0)
    s = SignOff(**{**{f: getattr(s, f) for f in s.__slots__}, "approved_plan": s.current_plan})
    page = html.render(example, example.deliveries, signoffs={SLUG: s})
    assert "This page is the approved plan." in block(page)
    assert '<p class="so so-' not in page


def test_accounts_show_real_names_never_default(example: Checked) -> None:
    page = html.render(example, example.deliveries)
    names = set(re.findall(r'<span class="acct">([^<]*)</span>', page))
    assert "default" not in names
    assert "Your Bluesky account" in names
    handled = html.render(
        example, example.deliveries, handles={("bluesky", "default"): "@coproweek.bsky.social"}
    )
    assert '<span class="acct">@coproweek.bsky.social</span>' in handled
    assert _html_card.account_name("x", "press-office") == "press-office"
