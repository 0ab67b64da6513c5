"""The typed object every command receives through click's context."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from clarion.ledger.store import Ledger


class AppContext:
    """Shared by every command: the ledger's address, and how output is printed."""

    def __init__(self, database_url: str | None = None) -> None:
        self.database_url = database_url
        self._ledger: Ledger | None = None

    @property
    def color(self) -> bool:
        if os.environ.get("NO_COLOR"):
            return False
        return bool(getattr(sys.stdout, "isatty", lambda: False)())

    def echo(self, message: str = "", *, err: bool = False) -> None:
        click.echo(message, err=err, color=self.color)

    def style(self, text: str, **styles: object) -> str:
        return click.style(text, **styles) if self.color else text  # type: ignore[arg-type]

    def ledger(self) -> Ledger:
        """The ledger, opened (and migrated) on first use; closed when the command ends."""
        if self._ledger is None:
            from clarion.ledger import open_ledger
            from clarion.ledger.db import LedgerError

            try:
                self._ledger = open_ledger(self.database_url)
            except LedgerError as exc:
                raise click.ClickException(str(exc)) from None
            click.get_current_context().call_on_close(self._ledger.close)
        return self._ledger


pass_app = click.make_pass_decorator(AppContext, ensure=True)
