"""The commands, through click's CliRunner and as real subprocesses."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from clarion import __version__
from clarion.cli import cli
from tests.conftest import EXAMPLE, HEAD, ROOT

POST = "posts:\n  - id: launch\n    at: 2022-07-04 09:00\n    text: Hello\n"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def write(tmp_path: Path, text: str, name: str = "week.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_every_command_has_help_and_is_documented(runner: CliRunner) -> None:
    from clarion.cli import COMMANDS

    readme = (ROOT / "README.md").read_text()
    for name, (_, short) in COMMANDS.items():
        command = cli.get_command(None, name)  # type: ignore[arg-type]
        assert command is not None and command.name == name
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0, result.output
        assert command.help
        first = " ".join(command.help.split("\n")[0].split())
        shown = " ".join(result.output.split()).replace("- ", "-")  # undo click's wrapping
        assert first.replace("- ", "-") in shown
        assert first == short, f"COMMANDS[{name!r}] help differs from the command's own"
        assert f"clarion {name}" in readme, f"README does not document `clarion {name}`"


def test_version(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output


def test_validate_ok_exit_0(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["validate", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output and "National Co-production Week 2022" in result.output


def test_validate_problems_exit_1_with_file_line_col(runner: CliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, HEAD.replace("[mastodon]", "[mastodon, twitter]") + POST)
    result = runner.invoke(cli, ["validate", path])
    assert result.exit_code == 1
    assert f"{path}:5:23: Clarion doesn't know the platform `twitter`." in result.output
    assert "1 problem in 1 of 1 file." in result.output


def test_validate_json(runner: CliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, HEAD.replace("Europe/London", "Nowhere/Town") + POST)
    result = runner.invoke(cli, ["validate", "--format", "json", path])
    assert result.exit_code == 1
    problems = json.loads(result.stdout)
    assert problems == [{"file": path, "line": 3, "column": 11, "message": problems[0]["message"]}]
    assert "Nowhere/Town" in problems[0]["message"]


def test_validate_json_when_valid_is_an_empty_list(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["validate", "--format", "json", str(EXAMPLE)])
    assert result.exit_code == 0 and json.loads(result.stdout) == []


def test_usage_errors_exit_2(runner: CliRunner) -> None:
    assert runner.invoke(cli, ["validate"]).exit_code == 2
    assert runner.invoke(cli, ["validate", "--format", "xml", str(EXAMPLE)]).exit_code == 2
    assert runner.invoke(cli, ["preview", "--platform", "myspace", str(EXAMPLE)]).exit_code == 2


def test_validate_a_folder_reads_every_campaign(runner: CliRunner, tmp_path: Path) -> None:
    write(tmp_path, HEAD + POST, "a.yaml")
    write(tmp_path, HEAD + POST, "b.yml")
    write(tmp_path, "not a campaign", "notes.txt")
    result = runner.invoke(cli, ["validate", str(tmp_path)])
    # both have the slug of their file name, so both are fine
    assert result.exit_code == 0, result.output
    assert result.output.count("OK") == 2


def test_preview_json_contract(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["preview", "--format", "json", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    items = json.loads(result.stdout)
    assert items, "the example has deliveries"
    keys = {
        "key",
        "campaign",
        "post",
        "platform",
        "at",
        "at_utc",
        "text",
        "length",
        "limit",
        "images",
        "thread_index",
        "reply_to",
        "state",
    }
    for item in items:
        assert set(item) == keys
        assert item["at_utc"].endswith("Z")
        assert item["at"][-6] in "+-"
        assert item["length"] <= item["limit"]
    assert [(i["at_utc"], i["platform"]) for i in items] == sorted(
        (i["at_utc"], i["platform"]) for i in items
    )
    by_key = {i["key"]: i for i in items}
    for item in items:
        if item["reply_to"] is not None:
            assert by_key[item["reply_to"]]["platform"] == item["platform"]


def test_preview_filters(runner: CliRunner) -> None:
    args = [
        "preview",
        "--format",
        "json",
        "--platform",
        "x",
        "--from",
        "2022-07-05",
        "--to",
        "2022-07-05",
        str(EXAMPLE),
    ]
    items = json.loads(runner.invoke(cli, args).stdout)
    assert items and {i["platform"] for i in items} == {"x"}
    assert {i["at"][:10] for i in items} == {"2022-07-05"}


def test_preview_table_shows_days_times_platforms_and_lengths(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["preview", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Monday 4 July 2022" in out and "Saturday 9 July 2022" in out
    assert "09:00 (+01:00)" in out
    assert "Mastodon" in out and "Bluesky" in out
    assert "/280" in out and "/500" in out
    assert "[image media/launch.png] alt:" in out


def test_preview_of_invalid_campaign_prints_problems_and_exits_1(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = write(tmp_path, HEAD + POST.replace("2022-07-04", "2022-08-04"))
    result = runner.invoke(cli, ["preview", path])
    assert result.exit_code == 1
    assert "after the campaign ends" in result.output
    assert f"{path}:8:9:" in result.output


def test_init_writes_a_valid_starter(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "new.yaml"
    result = runner.invoke(cli, ["init", str(target)])
    assert result.exit_code == 0, result.output
    assert runner.invoke(cli, ["validate", str(target)]).exit_code == 0
    again = runner.invoke(cli, ["init", str(target)])
    assert again.exit_code == 1 and "already exists" in again.output


def test_schema_is_json_schema_for_the_model(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["schema"])
    schema = json.loads(result.stdout)
    assert schema["title"].startswith("Clarion campaign")
    assert {"version", "name", "timezone", "dates", "platforms", "posts"} <= set(
        schema["properties"]
    )
    assert set(schema["required"]) >= {"version", "name", "timezone", "dates", "platforms"}


def test_schema_in_docs_is_current(runner: CliRunner) -> None:
    committed = json.loads((ROOT / "docs" / "clarion.schema.json").read_text())
    assert committed == json.loads(runner.invoke(cli, ["schema"]).output), (
        "run: clarion schema > docs/clarion.schema.json"
    )


def test_every_field_is_documented() -> None:
    from pydantic import BaseModel

    from clarion.campaign import model

    doc = (ROOT / "docs" / "campaign-format.md").read_text()
    for obj in vars(model).values():
        if (
            isinstance(obj, type)
            and issubclass(obj, BaseModel)
            and obj.__module__ == model.__name__
        ):
            for field in obj.model_fields:
                assert f"`{field}`" in doc, f"docs/campaign-format.md does not describe `{field}`"


def test_real_subprocess_module_entry_point() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "clarion", "validate", str(EXAMPLE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "OK" in proc.stdout


def test_help_imports_nothing_heavy() -> None:
    code = (
        "import sys; from clarion.cli import cli; "
        "heavy = [m for m in ('pydantic', 'yaml', 'regex', 'clarion.planner', 'clarion.cli.run') "
        "if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
