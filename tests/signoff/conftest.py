"""The ledgers of tests/ledger (SQLite and a real PostgreSQL), for the sign-off tests."""

from tests.ledger.conftest import fresh_fakes, ledger, ledger_url, pg_server

__all__ = ["fresh_fakes", "ledger", "ledger_url", "pg_server"]
