"""Adding a platform is one folder plus one registry line.

The pigeon platform (``tests/plugin_platform``: its descriptor and an in-memory adapter) is
defined entirely inside the tests. Registered with :func:`clarion.platforms.register`, or found
through a ``clarion.platforms`` entry point, it goes through validate, preview (table, JSON,
HTML, ICS), schedule and run-due like a built-in platform.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from clarion import credentials, platforms
from clarion.cli import cli
from clarion.platforms import quoting
from tests.plugin_platform import Pigeon
from tests.plugin_platform.adapter import PigeonAdapter

LOFT_URL = "https://www.example.org/lofts/north/timetable"


def campaign(at: dt.datetime) -> str:
    """A small campaign on the pigeon platform: one post and a two-part thread, at ``at``."""
    later = at + dt.timedelta(minutes=1)
    return f"""\
version: 1
name: Pigeon Week
timezone: UTC
dates: {{start: {at:%Y-%m-%d}, end: {later:%Y-%m-%d}}}
platforms: [pigeon]
accounts: {{pigeon: north-loft}}
posts:
  - id: hello
    at: {at:%Y-%m-%d %H:%M}
    text: "Coo! ~seeds today, see {LOFT_URL}"
  - id: flock
    at: {later:%Y-%m-%d %H:%M}
    text: First bird of the flock.
    thread:
      - text: Second bird of the flock.
"""


@pytest.fixture
def pigeon(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[Pigeon]]:
    """The pigeon platform, registered for one test (its one registry line)."""
    monkeypatch.delenv("CLARION_ADAPTERS", raising=False)
    registered = platforms.register("tests.plugin_platform:Pigeon")
    PigeonAdapter.loft.clear()
    try:
        yield registered  # type: ignore[misc]
    finally:
        platforms.unregister("pigeon")
        PigeonAdapter.loft.clear()


@pytest.fixture
def week(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The campaign file, its first post due two minutes ago (so run-due sends it now)."""
    monkeypatch.setenv("CLARION_DATABASE_URL", f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0, tzinfo=None)
    path = tmp_path / "pigeon.yaml"
    path.write_text(campaign(now - dt.timedelta(minutes=3)))
    return path


def invoke(*args: str) -> Result:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result


def items(output: str) -> list[dict[str, Any]]:
    data = json.loads(output)
    if isinstance(data, dict):
        data = data.get("items", data.get("deliveries", []))
    assert isinstance(data, list)
    return data


def test_the_registry_knows_the_registered_platform(pigeon: type[Pigeon]) -> None:
    assert pigeon is Pigeon
    assert "pigeon" in platforms.NAMES and platforms.names()[-1] == "pigeon"
    assert platforms.get("pigeon") is Pigeon
    assert platforms.ALIASES["dove"] == "pigeon"
    assert quoting.can_quote("pigeon")
    assert quoting.target("pigeon", "https://loft.example/north/42") == ("north", "42")
    assert credentials.env_name("pigeon", "north-loft", "ring_code") == (
        "CLARION_PIGEON_NORTH_LOFT_RING_CODE"
    )
    # The adapter takes its credential names from its platform.
    assert PigeonAdapter.secret_names == ("ring_code",)
    assert PigeonAdapter.setting_names == ("loft",)


def test_unregistered_it_is_unknown_again(pigeon: type[Pigeon]) -> None:
    platforms.unregister("pigeon")
    assert "pigeon" not in platforms.NAMES
    with pytest.raises(platforms.UnknownPlatformError):
        platforms.get("pigeon")
    platforms.register(Pigeon)  # the fixture unregisters it again
    assert platforms.get("pigeon") is Pigeon


def test_register_refuses_what_is_not_a_platform() -> None:
    with pytest.raises(TypeError):
        platforms.register("tests.plugin_platform.adapter:PigeonAdapter")

    class Bad(Pigeon):
        name = "Not A Name"

    with pytest.raises(ValueError, match="lower-case"):
        platforms.register(Bad)


def test_validate_preview_schedule_and_run_due_go_through_it(
    pigeon: type[Pigeon], week: Path
) -> None:
    checked = invoke("validate", str(week))
    assert checked.exit_code == 0, checked.output
    assert "problem" not in checked.output

    table = invoke("preview", str(week))
    assert table.exit_code == 0, table.output
    assert "Pigeon" in table.output and "Coo! ~seeds today" in table.output
    assert "Second bird of the flock." in table.output

    found = items(invoke("preview", str(week), "--format", "json").stdout)
    assert [i["platform"] for i in found] == ["pigeon"] * 3
    assert {i["post"] for i in found} == {"hello", "flock"}
    assert found[0]["limit"] == 80

    page = invoke("preview", str(week), "--format", "html").stdout
    assert 'data-platform="pigeon"' in page and "Carrier Pigeon" in page
    # Its colours, from its descriptor, in the style sheet; its abbreviation on the badges.
    assert ".b-pigeon,.p-pigeon .plat{background:#7a5c3e}" in page
    assert ".p-pigeon{border-radius:4px;border-color:#b9a48a}" in page
    assert ">Coo</abbr>" in page
    # Its own text finder marked the ~tag, and the link shows cut after 12 characters.
    assert '<span class="tag">~seeds</span>' in page
    assert '<span class="ellipsis">example.org/</span>' in page

    calendar = invoke("preview", str(week), "--format", "ics").stdout
    assert "BEGIN:VEVENT" in calendar and "Carrier Pigeon" in calendar
    assert "Second bird of the flock." in calendar.replace("\r\n ", "")

    scheduled = invoke("schedule", str(week))
    assert scheduled.exit_code == 0, scheduled.output

    run = invoke("run-due", "--catch-up")
    assert run.exit_code == 0, run.output
    first = [m for m in PigeonAdapter.loft if m["message"].startswith("Coo!")]
    assert len(first) == 1 and first[0]["account"] == "north-loft"
    assert LOFT_URL in first[0]["message"]
    # The thread went out too, its second part answering the first by the loft's own id.
    birds = {m["message"]: m for m in PigeonAdapter.loft}
    assert set(birds) == {
        first[0]["message"],
        "First bird of the flock.",
        "Second bird of the flock.",
    }
    assert birds["Second bird of the flock."]["after"] == birds["First bird of the flock."]["id"]

    again = invoke("run-due", "--catch-up")
    assert again.exit_code == 0, again.output
    assert len(PigeonAdapter.loft) == 3  # sent once


def test_accounts_login_asks_for_its_credentials(
    pigeon: type[Pigeon], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLARION_ENV_FILE", str(tmp_path / ".env"))
    monkeypatch.setattr(credentials, "store", lambda *a, **k: None)
    result = CliRunner().invoke(cli, ["accounts", "login", "pigeon"], input="north\nring-42\n")
    assert result.exit_code == 0, result.output
    assert "Keys for Carrier Pigeon" in result.output
    assert "loft (CLARION_PIGEON_LOFT)" in result.output
    assert "ring code (CLARION_PIGEON_RING_CODE)" in result.output
    assert "ring-42" not in result.output
    assert "can post as the loft" in result.output


# --- the entry point --------------------------------------------------------------------------


def _install(site: Path, value: str) -> None:
    """A distribution's metadata in ``site`` (as pip writes it) naming a platform entry point."""
    info = site / "clarion_pigeon-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: clarion-pigeon\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[clarion.platforms]\npigeon = {value}\n")


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> platforms._Registry:
    """A registry that has not looked for plugins yet (as at start-up)."""
    registry = platforms._Registry()
    monkeypatch.setattr(platforms, "REGISTRY", registry)
    monkeypatch.delenv("CLARION_ADAPTERS", raising=False)
    return registry


def test_an_installed_plugin_is_found_through_its_entry_point(
    fresh: platforms._Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, week: Path
) -> None:
    _install(tmp_path / "site", "tests.plugin_platform:Pigeon")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    assert "pigeon" in platforms.NAMES
    assert platforms.get("pigeon") is Pigeon
    assert list(platforms.NAMES)[: len(platforms.BUILTIN)] == list(platforms.BUILTIN)
    checked = invoke("validate", str(week))
    assert checked.exit_code == 0, checked.output


def test_a_broken_plugin_is_an_unknown_platform_in_plain_words(
    fresh: platforms._Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, week: Path
) -> None:
    _install(tmp_path / "site", "clarion_pigeon_is_not_installed:Pigeon")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    result = CliRunner().invoke(cli, ["validate", str(week)])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "pigeon" in result.output and "Traceback" not in result.output


def test_plugins_are_not_looked_for_when_only_built_in_platforms_are_used(
    fresh: platforms._Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    looked: list[bool] = []
    original = platforms._Registry._read_plugins

    def spy(self: platforms._Registry) -> None:
        looked.append(True)
        original(self)

    monkeypatch.setattr(platforms._Registry, "_read_plugins", spy)
    path = tmp_path / "week.yaml"
    path.write_text(
        "version: 1\nname: Week\ntimezone: UTC\ndates: {start: 2030-07-04, end: 2030-07-05}\n"
        "platforms: [x, facebook, mastodon, bluesky]\n"
        "posts:\n  - id: a\n    at: 2030-07-04 09:00\n    text: Hello #week https://example.org\n"
    )
    result = invoke("validate", str(path))
    assert result.exit_code == 0, result.output
    assert looked == []
    # An unknown name is looked for among the plugins (and then suggested as an alias).
    path.write_text(path.read_text().replace("[x, facebook", "[twitter, facebook"))
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 1 and "x" in result.output
    assert looked


def test_shell_completion_offers_it(pigeon: type[Pigeon]) -> None:
    from click.shell_completion import ShellComplete

    complete = ShellComplete(cli, {}, "clarion", "_CLARION_COMPLETE")
    offered = [c.value for c in complete.get_completions(["accounts", "login"], "pi")]
    assert offered == ["pigeon"]
    offered = [c.value for c in complete.get_completions(["accounts", "check", "--platform"], "")]
    assert offered == [*platforms.BUILTIN, "pigeon"]
