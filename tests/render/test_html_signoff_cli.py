"""`clarion preview --format html` shows the ledger's sign-off: approved, edited, marked."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from click.testing import CliRunner

from clarion.checking import check_files
from clarion.cli import cli
from tests.conftest import EXAMPLE


def test_the_page_shows_the_ledger_sign_off_and_the_card_edited_since(tmp_path: Path) -> None:
    from clarion.ledger import approvals, open_ledger

    folder = tmp_path / "campaigns"
    shutil.copytree(EXAMPLE.parent, folder)
    path = folder / EXAMPLE.name
    result = check_files([path])
    assert result.ok, result.problems
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    ledger = open_ledger(url)
    try:
        at = int(dt.datetime(2022, 6, 2, 13, 5, tzinfo=dt.UTC).timestamp() * 1000)
        slug = result.campaigns[0].slug
        approvals.record(ledger, slug, result.deliveries, "Priya Shah", at, "Go ahead")
    finally:
        ledger.close()
    text = path.read_text(encoding="utf-8").replace("Week starts today!", "Week starts TODAY!")
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "week.html"
    run = CliRunner().invoke(
        cli,
        ["--database", url, "preview", str(path), "--format", "html", "-o", str(out)],
    )
    assert run.exit_code == 0, run.output
    page = out.read_text(encoding="utf-8")
    assert 'Approved by <strong class="so-by">Priya Shah</strong>' in page
    assert "Go ahead" in page
    edited = {d.key for d in check_files([path]).deliveries if "TODAY!" in d.text}
    assert edited
    marked = set()
    for chunk in page.split("<article")[1:]:
        if "Changed since sign-off on 2 June 2022" in chunk.split("</article>")[0]:
            marked.add(chunk.split('data-key="')[1].split('"')[0])
    assert marked == edited
