"""`--platform` takes every registered platform and answers a misspelling with the likely name."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from clarion.cli import cli
from tests.conftest import ROOT

EXAMPLE = str(ROOT / "campaigns" / "coproduction-week-2022.yaml")


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["preview", EXAMPLE, "--platform", "blusky"], "Did you mean 'bluesky'?"),
        (["preview", EXAMPLE, "--platform", "twitter"], "Did you mean 'x'?"),
        (["accounts", "check", "--platform", "Facebok"], "Did you mean 'facebook'?"),
    ],
)
def test_a_misspelt_platform_is_named_with_what_was_meant(args: list[str], said: str) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert said in result.output
    assert (
        "Platforms: x, facebook, mastodon, bluesky, instagram, linkedin, threads." in result.output
    )


def test_an_unknown_platform_lists_the_known_ones() -> None:
    result = CliRunner().invoke(cli, ["preview", EXAMPLE, "--platform", "zzz"])
    assert result.exit_code == 2
    assert "doesn't know the platform 'zzz'. Platforms:" in result.output


def test_a_known_platform_narrows_the_preview() -> None:
    result = CliRunner().invoke(
        cli, ["preview", EXAMPLE, "--platform", "bluesky", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    assert '"platform": "bluesky"' in result.stdout
    assert '"platform": "x"' not in result.stdout
