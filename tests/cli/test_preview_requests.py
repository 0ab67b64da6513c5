"""``preview --format requests`` and ``run-due --dry-run`` show the same requests: both come from
the adapters' ``build``, so what is signed off before the week is what goes out."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from clarion.cli import cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "campaigns" / "coproduction-week-2022.yaml"


def test_preview_requests_equal_the_dry_run_of_each_moment(tmp_path: Path) -> None:
    env = {
        "CLARION_DATABASE_URL": f"sqlite:///{tmp_path / 'ledger.sqlite3'}",
        "CLARION_ADAPTERS": "",
    }
    runner = CliRunner()
    preview = runner.invoke(cli, ["preview", str(EXAMPLE), "--format", "requests"], env=env)
    assert preview.exit_code == 0, preview.output
    planned = json.loads(preview.stdout)
    assert planned["version"] == 1
    previewed = {r["key"]: r for r in planned["requests"]}
    deliveries = json.loads(
        runner.invoke(cli, ["preview", str(EXAMPLE), "--format", "json"], env=env).stdout
    )
    assert list(previewed) == [d["key"] for d in deliveries]  # one request per delivery, in order
    assert runner.invoke(cli, ["schedule", str(EXAMPLE)], env=env).exit_code == 0
    seen: dict[str, dict[str, object]] = {}
    for moment in sorted({d["at_utc"] for d in deliveries}):
        out = runner.invoke(
            cli, ["run-due", "--dry-run", "--now", moment, "--format", "json"], env=env
        )
        for request in json.loads(out.stdout)["requests"]:
            seen.setdefault(request["key"], request)
    assert seen.keys() == previewed.keys()
    for key, request in seen.items():
        assert request == previewed[key], key
