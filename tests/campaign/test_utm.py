"""Tagged links (the campaign's ``utm`` setting): the tagging function, and what ``preview`` shows
in JSON, in the requests and on the HTML page, per platform, with lengths on the tagged text."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from clarion.cli import cli
from clarion.platforms import _utm
from clarion.platforms.bluesky import Bluesky
from clarion.platforms.bluesky._facets import visible
from clarion.platforms.facebook import Facebook

TAGS = _utm.params("bluesky", "social", "week", "post-1")

_word = st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=8)
_value = st.text("abcXYZ019-._~%20+", max_size=8)
_key = _word.filter(lambda k: not k.startswith("utm"))


@st.composite
def urls(draw: st.DrawFn) -> tuple[str, list[tuple[str, str]], str]:
    scheme = draw(st.sampled_from(["http", "https", "HTTPS"]))
    host = ".".join(draw(st.lists(_word, min_size=1, max_size=3))) + ".org"
    port = draw(st.sampled_from(["", ":8080"]))
    path = "".join("/" + s for s in draw(st.lists(_word, max_size=3)))
    if draw(st.booleans()):
        path += "/"
    pairs = draw(st.lists(st.tuples(_key, _value), max_size=3))
    query = "&".join(f"{k}={v}" for k, v in pairs)
    fragment = draw(st.sampled_from(["", "top", "a/b?c=1", "x&y"]))
    url = f"{scheme}://{host}{port}{path}"
    if query:
        url += "?" + query
    if fragment:
        url += "#" + fragment
    return url, pairs, fragment


@given(urls())
def test_a_tagged_url_keeps_what_it_had_and_gains_exactly_the_tags(
    case: tuple[str, list[tuple[str, str]], str],
) -> None:
    url, pairs, fragment = case
    tagged = _utm.tag_url(url, TAGS)
    parts = urlsplit(tagged)
    assert parts.scheme.lower() in ("http", "https") and parts.netloc == urlsplit(url).netloc
    assert parts.fragment == fragment
    original = parse_qsl(urlsplit(url).query, keep_blank_values=True)
    assert len(original) == len(pairs)
    assert parse_qsl(parts.query, keep_blank_values=True) == [*original, *TAGS]
    assert tagged.startswith(url.partition("#")[0].partition("?")[0])
    assert _utm.is_tagged(tagged) and not _utm.is_tagged(url)
    assert _utm.tag_url(tagged, TAGS) == tagged  # idempotent
    assert _utm.tag_url(tagged, _utm.params("x", "a", "b", "c")) == tagged
    # untagged, it is what it was (a link without a path gained the "/" before its query)
    head = url.partition("://")[0] + "://" + urlsplit(url).netloc
    assert _utm.untag(tagged) in (url, head + "/" + url[len(head) :])


@given(urls())
def test_a_url_someone_tagged_already_is_left_as_it_is(
    case: tuple[str, list[tuple[str, str]], str],
) -> None:
    url, _, _ = case
    base, hash_, fragment = url.partition("#")
    own = base + ("&" if "?" in base else "?") + "UTM_Source=newsletter" + hash_ + fragment
    assert _utm.tag_url(own, TAGS) == own


def test_examples() -> None:
    assert (
        _utm.tag_url("https://example.org", TAGS)
        == "https://example.org/?utm_source=bluesky&utm_medium=social&utm_campaign=week"
        "&utm_content=post-1"
    )
    assert (
        _utm.tag_url("https://example.org/e?lang=cy#top", _utm.params("x", "social", "w", "p"))
        == "https://example.org/e?lang=cy&utm_source=x&utm_medium=social&utm_campaign=w"
        "&utm_content=p#top"
    )
    for left in ("mailto:a@example.org", "ftp://example.org/f", "not a url", "https://"):
        assert _utm.tag_url(left, TAGS) == left
    # only links written with http(s):// are tagged; bare domains and words stay as written
    text = "See https://example.org/a. Or example.org, or https://example.org/b?utm_id=1!"
    assert _utm.tag_text(Facebook, text, TAGS) == (
        "See https://example.org/a?utm_source=bluesky&utm_medium=social&utm_campaign=week"
        "&utm_content=post-1. Or example.org, or https://example.org/b?utm_id=1!"
    )
    assert _utm.tag_text(Facebook, text, ()) == text


def test_bluesky_shows_a_tagged_link_short_as_its_app_does() -> None:
    assert _utm.short_url("https://example.org/") == "example.org"
    assert _utm.short_url("https://example.org/join") == "example.org/join"
    assert (
        _utm.short_url("https://example.org/events/co-production") == "example.org/events/co-pr..."
    )
    long = _utm.tag_url("https://example.org/events/co-production-week", TAGS)
    text = f"Join us 🎉 {long} #CoProWeek"
    shown, found = visible(text)
    assert shown == "Join us 🎉 example.org/events/co-pr... #CoProWeek"
    link, tag = found
    assert link.value == long
    assert shown.encode()[link.byte_start : link.byte_end] == b"example.org/events/co-pr..."
    assert shown.encode()[tag.byte_start : tag.byte_end] == b"#CoProWeek"
    assert Bluesky.count(text) == len(shown)  # (🎉 is one code point, one grapheme)
    # an untagged link is shown (and counted) as written
    plain = "Join us https://example.org/events/co-production-week"
    assert visible(plain)[0] == plain and Bluesky.count(plain) == len(plain)


def _week(
    folder: Path,
    *,
    utm: str = "true",
    text: str = "",
    platforms: str = "x, facebook, mastodon, bluesky",
) -> Path:
    campaign = folder / "week.yaml"
    campaign.write_text(
        textwrap.dedent(
            f"""\
            version: 1
            name: Tagged week
            slug: tagged-week
            timezone: Europe/London
            dates: {{start: 2030-07-04, end: 2030-07-05}}
            platforms: [{platforms}]
            utm: {utm}
            posts:
              - id: launch
                at: 2030-07-04 09:00
                text: "{text or "Our week starts: https://example.org/events/week?lang=cy#top"}"
                link: https://example.org/join
            """
        )
    )
    return campaign


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        "CLARION_DATABASE_URL": f"sqlite:///{tmp_path / 'ledger.sqlite3'}",
        "CLARION_ADAPTERS": "",
    }


def _strings(value: object) -> list[str]:
    """Every string in a request, however deep."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _expect(platform: str, medium: str = "social", campaign: str = "tagged-week") -> str:
    return f"utm_source={platform}&utm_medium={medium}&utm_campaign={campaign}&utm_content=launch"


def test_preview_json_and_requests_show_the_tagged_links_per_platform(tmp_path: Path) -> None:
    campaign = _week(tmp_path)
    runner = CliRunner()
    out = runner.invoke(cli, ["preview", str(campaign), "--format", "json"], env=_env(tmp_path))
    assert out.exit_code == 0, out.output
    shown = {d["platform"]: d for d in json.loads(out.stdout)}
    assert set(shown) == {"x", "facebook", "mastodon", "bluesky"}
    for name, d in shown.items():
        tags = _expect(name)
        assert d["text"] == (
            f"Our week starts: https://example.org/events/week?lang=cy&{tags}#top\n"
            f"https://example.org/join?{tags}"
        )
    # lengths on the tagged text: Facebook counts it all, X and Mastodon 23 a link, Bluesky
    # what it shows (the links short)
    assert shown["facebook"]["length"] == len(shown["facebook"]["text"])
    assert shown["x"]["length"] == shown["mastodon"]["length"] == len("Our week starts: \n") + 46
    assert shown["bluesky"]["length"] == len(
        "Our week starts: example.org/events/week?...\nexample.org/join"
    )

    out = runner.invoke(cli, ["preview", str(campaign), "--format", "requests"], env=_env(tmp_path))
    assert out.exit_code == 0, out.output
    requests = {r["platform"]: r for r in json.loads(out.stdout)["requests"]}
    for name in ("x", "facebook", "mastodon"):
        assert shown[name]["text"] in _strings(requests[name]), name
    record = requests["bluesky"]["payload"]["record"]
    assert record["text"] == "Our week starts: example.org/events/week?...\nexample.org/join"
    uris = [f["features"][0]["uri"] for f in record["facets"]]
    tags = _expect("bluesky")
    assert uris == [
        f"https://example.org/events/week?lang=cy&{tags}#top",
        f"https://example.org/join?{tags}",
    ]


def test_the_html_page_links_to_the_tagged_addresses(tmp_path: Path) -> None:
    campaign = _week(tmp_path, utm="{medium: email, campaign: summer2030}")
    page = tmp_path / "week.html"
    out = CliRunner().invoke(
        cli, ["preview", str(campaign), "--format", "html", "-o", str(page)], env=_env(tmp_path)
    )
    assert out.exit_code == 0, out.output
    html = page.read_text()
    hrefs = set(re.findall(r'href="(https://example\.org/join[^"]*)"', html))
    assert hrefs == {
        "https://example.org/join?" + _expect(p, "email", "summer2030").replace("&", "&amp;")
        for p in ("x", "facebook", "mastodon", "bluesky")
    }


def test_lengths_are_checked_on_the_tagged_text(tmp_path: Path) -> None:
    # a text that fits Facebook's 63,206 characters until its link gains the tags
    text = "a " * 31_580 + "https://example.org/e"
    runner = CliRunner()
    env = _env(tmp_path)
    campaign = _week(tmp_path, utm="false", text=text, platforms="facebook")
    checked = runner.invoke(cli, ["validate", str(campaign)], env=env)
    assert checked.exit_code == 0, checked.output
    _week(tmp_path, utm="true", text=text, platforms="facebook")
    out = runner.invoke(cli, ["validate", str(campaign)], env=env)
    assert out.exit_code == 1, out.output
    tagged = len(text) + len("https://example.org/join") + 1 + 2 * len("?" + _expect("facebook"))
    assert f"{tagged} characters, the limit is 63206" in out.output, out.output


def test_switching_tags_on_is_a_change_schedule_and_sign_off_see(tmp_path: Path) -> None:
    env = _env(tmp_path)
    runner = CliRunner()
    campaign = _week(tmp_path, utm="false")
    assert runner.invoke(cli, ["schedule", str(campaign)], env=env).exit_code == 0
    approved = runner.invoke(cli, ["approve", str(campaign), "--by", "Sam"], env=env)
    assert approved.exit_code == 0, approved.output
    _week(tmp_path, utm="true")
    again = runner.invoke(cli, ["schedule", str(campaign)], env=env)
    assert again.exit_code == 0, again.output
    assert "4 updated" in again.stdout and "changed in the campaign file: text, link" in (
        again.stdout
    )
    diff = runner.invoke(cli, ["diff", str(campaign)], env=env)
    assert diff.exit_code == 1, diff.output
    assert "utm_source=facebook" in diff.stdout, diff.stdout


def test_a_wrong_utm_value_is_explained(tmp_path: Path) -> None:
    campaign = _week(tmp_path, utm="{medium: social media}")
    out = CliRunner().invoke(cli, ["validate", str(campaign)], env=_env(tmp_path))
    assert out.exit_code == 1, out.output
    assert "Traceback" not in out.output and "week.yaml:7" in out.output


def test_the_pages_bluesky_card_shows_tagged_links_short_as_bluesky_will(tmp_path: Path) -> None:
    """The card shows what Bluesky will show (the short form), linked to the tagged address;
    the other platforms' cards show the link as it is sent."""
    campaign = _week(tmp_path)
    page = tmp_path / "week.html"
    out = CliRunner().invoke(
        cli, ["preview", str(campaign), "--format", "html", "-o", str(page)], env=_env(tmp_path)
    )
    assert out.exit_code == 0, out.output
    html = page.read_text()
    tags = _expect("bluesky").replace("&", "&amp;")
    assert f'href="https://example.org/events/week?lang=cy&amp;{tags}#top"' in html
    assert ">example.org/events/week?...</a>" in html
    assert ">example.org/join</a>" in html
    assert html.count(">example.org/join</a>") == 1  # Bluesky's card only
