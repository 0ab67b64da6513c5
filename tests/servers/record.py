"""Record the project's own fixtures from the real servers the tests start (PDS, snac2).

    .venv/bin/python -m tests.servers.record

starts the Bluesky PDS (:mod:`tests.servers.pds`, needs ``scripts/ensure-pds``) and snac2
(:mod:`tests.servers.snac`, needs ``scripts/ensure-snac``) in a temporary folder, makes one post
on each the way Clarion's adapters do, and writes their answers (JSON, indented) to
``tests/fixtures/bluesky`` and ``tests/fixtures/mastodon``. ``tests/fixtures/SOURCES.md`` lists
what each file is. The answers hold no secret (tokens are sent, never answered).
"""

from __future__ import annotations

import contextlib
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from tests.servers.pds import start_pds
from tests.servers.snac import snac_server

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
#: The text of the recorded posts (accents and an emoji: byte offsets differ from characters).
TEXT = "Réunion publique ce soir 🎉 — recorded by tests/servers/record.py"


def write(rel: str, answer: Any) -> None:
    path = FIXTURES / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(answer, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {path.relative_to(FIXTURES.parents[1])}")


def record_pds(folder: Path) -> None:
    with start_pds(folder / "pds") as pds:
        account = pds.create_account("recorder")
        session = pds.xrpc(
            "com.atproto.server.createSession",
            body={"identifier": account.handle, "password": account.password},
        )
        record = {
            "$type": "app.bsky.feed.post",
            "text": TEXT,
            "createdAt": "2022-07-04T08:00:00.000Z",
            "langs": ["fr"],
        }
        created = pds.xrpc(
            "com.atproto.repo.createRecord",
            body={
                "repo": account.did,
                "collection": "app.bsky.feed.post",
                "rkey": "3jzfcijpj2z2a",
                "record": record,
            },
            token=session["accessJwt"],
        )
        write("bluesky/pds-create_record.json", created)
        write("bluesky/pds-get_record.json", pds.get_record(created["uri"]))


def record_snac(folder: Path) -> None:
    (folder / "snac").mkdir()
    with contextlib.contextmanager(snac_server)(folder / "snac") as snac:
        write(
            "mastodon/snac-verify_credentials.json",
            snac.api("GET", "/api/v1/accounts/verify_credentials"),
        )
        posted = snac.api(
            "POST", "/api/v1/statuses", {"status": TEXT, "visibility": "public", "language": "fr"}
        )
        write("mastodon/snac-post_status.json", posted)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="clarion-record-") as tmp:
        record_pds(Path(tmp))
        record_snac(Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
