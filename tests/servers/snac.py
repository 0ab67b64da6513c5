"""A real snac2 server (a small ActivityPub server with the Mastodon client API) for tests.

``scripts/ensure-snac`` unpacks Debian 13's snac2 2.75 into ``.servers/snac2/``; :func:`snac_server`
makes a data folder in a temporary directory (``snac init`` and ``snac adduser``, answering their
questions on stdin), starts ``snac httpd`` on 127.0.0.1 on a free port in its own process group,
waits until it answers, and gets an OAuth token for the user with the authorization-code flow:

1. ``POST /api/v1/apps`` registers an app with the out-of-band redirect URI;
2. ``POST /oauth/x-snac-login`` (where snac's ``/oauth/authorize`` login form posts) with the
   user's login and password and the app's client id: for the out-of-band redirect, snac answers
   with the code as the page's whole body;
3. ``POST /oauth/token`` with ``grant_type=authorization_code`` gives the token.

(snac also answers the password grant, but that token belongs to no user and every API call with
it fails.) snac checks the Host of API requests against its configured host name, so the server is
set up as ``127.0.0.1:PORT`` and always reached as such; its ``protocol`` is set to ``http`` so the
URLs it hands out (post URLs, image URLs) are ones this test machine can open.

:class:`RecordingProxy` sits between a client and the server and keeps every request it forwards,
so a test can compare what a client sent with what it meant to send.
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import json
import os
import re
import secrets
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from http.client import HTTPConnection
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.net import Serving, free_port

ROOT = Path(__file__).resolve().parents[2]
SNAC = ROOT / ".servers" / "snac2" / "usr" / "bin" / "snac"
USER = "alice"
OOB = "urn:ietf:wg:oauth:2.0:oob"


class HttpError(Exception):
    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"HTTP {status}: {body[:500]}")
        self.status = status
        self.body = body


def http(
    method: str,
    url: str,
    *,
    form: dict[str, str] | None = None,
    token: str | None = None,
    accept: str | None = None,
    timeout: float = 10,
) -> tuple[int, str]:
    """(status, body) of one request; HTTP errors raise :class:`HttpError`."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if accept:
        headers["Accept"] = accept
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as exc:
        raise HttpError(exc.code, exc.read().decode(errors="replace")) from None


@dataclass
class SnacServer:
    """One running snac server and its one user."""

    host: str  # 127.0.0.1:PORT, as snac knows itself
    datadir: Path
    user: str
    password: str
    token: str = ""
    pid: int = 0
    #: Seconds from starting ``snac httpd`` until it answered HTTP.
    start_s: float = 0.0
    #: Seconds for init + adduser + start + token.
    setup_s: float = 0.0

    @property
    def base_url(self) -> str:
        return f"http://{self.host}"

    def api(self, method: str, path: str, form: dict[str, str] | None = None) -> Any:
        """JSON answer of a Mastodon API call made with the user's token."""
        _, body = http(method, self.base_url + path, form=form, token=self.token)
        return json.loads(body)

    def status(self, status_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self.api("GET", f"/api/v1/statuses/{status_id}")
        return found

    def activity(self, url: str) -> dict[str, Any]:
        """The ActivityPub object at ``url`` (a post's URL): what other servers would get."""
        _, body = http("GET", url, accept="application/activity+json")
        found: dict[str, Any] = json.loads(body)
        return found

    def log(self) -> str:
        path = self.datadir.parent / "httpd.log"
        return path.read_text(errors="replace") if path.exists() else ""

    # --- other local accounts, acting on posts ---------------------------------------------------

    def add_user(self, uid: str) -> str:
        """Another local account (``snac adduser``, the server running); its password."""
        out = _snac("adduser", str(self.datadir), uid)
        found = re.search(r"User password is (\S+)", out)
        if found is None:
            raise RuntimeError(f"snac adduser printed no password:\n{out}")
        return found.group(1)

    def boost(self, uid: str, url: str) -> None:
        """``uid`` boosts the post at ``url`` (``snac boost {basedir} {uid} {url}``). snac queues
        the Announce; the running server delivers it to the post's author a few seconds later,
        and only then does the post's ``reblogs_count`` show it."""
        _snac("boost", str(self.datadir), uid, url)

    def like(self, uid: str, password: str, url: str) -> None:
        """``uid`` likes the post at ``url`` as snac's web page does: ``POST /{uid}/admin/action``
        with ``id={url}&action=Like``, logged in with HTTP basic auth (snac has no ``like``
        command, and its Mastodon API answers 404 to another local account's favourite). snac
        counts the like at once (``timeline_admire``) and answers 303 to the admin page."""
        login = base64.b64encode(f"{uid}:{password}".encode()).decode()
        connection = HTTPConnection(self.host, timeout=10)
        try:
            connection.request(
                "POST",
                f"/{uid}/admin/action",
                urllib.parse.urlencode({"id": url, "action": "Like"}),
                {
                    "Authorization": f"Basic {login}",
                    "Content-Type": "application/x-www-form-urlencoded",
                },
            )
            answer = connection.getresponse()
            body = answer.read().decode(errors="replace")
        finally:
            connection.close()
        if answer.status != 303:  # anything else: not logged in, or no such action
            raise HttpError(answer.status, body)


def _snac(*args: str, answers: str = "", timeout: float = 60) -> str:
    done = subprocess.run(
        [str(SNAC), *args],
        input=answers,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(f"snac {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return done.stdout + done.stderr


def _wait_until_answering(
    server: SnacServer, popen: subprocess.Popen[bytes], deadline: float
) -> None:
    while True:
        if popen.poll() is not None:
            raise RuntimeError(f"snac httpd exited with {popen.returncode}:\n{server.log()}")
        try:
            http("GET", server.base_url + "/api/v1/instance", timeout=2)
            return
        except (OSError, HttpError):
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"snac httpd did not answer within the deadline:\n{server.log()}"
                ) from None
        time.sleep(0.02)


def authorization_code_token(base_url: str, login: str, password: str) -> str:
    """An access token for ``login``, by the OAuth authorization-code flow (see the module doc)."""
    _, body = http(
        "POST",
        base_url + "/api/v1/apps",
        form={"client_name": "clarion-tests", "redirect_uris": OOB, "scopes": "read write"},
    )
    app = json.loads(body)
    _, code = http(
        "POST",
        base_url + "/oauth/x-snac-login",
        form={"login": login, "passwd": password, "redir": OOB, "cid": app["client_id"]},
    )
    if not re.fullmatch(r"[0-9a-f]{16,}", code.strip()):
        raise RuntimeError(f"snac refused the login (no code in its answer):\n{code[:500]}")
    _, body = http(
        "POST",
        base_url + "/oauth/token",
        form={
            "grant_type": "authorization_code",
            "code": code.strip(),
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "redirect_uri": OOB,
        },
    )
    token: str = json.loads(body)["access_token"]
    return token


def snac_server(base: Path) -> Iterator[SnacServer]:
    """A running snac server with one user and its token; stopped (by pid) afterwards."""
    if not SNAC.exists():
        # A missing server is a failure, never a silent skip: scripts/test installs it first.
        pytest.fail(f"snac2 is not unpacked at {SNAC}: run scripts/ensure-snac (scripts/test does)")
    began = time.monotonic()
    port = free_port()
    host = f"127.0.0.1:{port}"
    datadir = base / "data"
    # Network address, port, host name, URL prefix, admin email.
    _snac("init", str(datadir), answers=f"127.0.0.1\n{port}\n{host}\n\nadmin@example.invalid\n")
    config_path = datadir / "server.json"
    config = json.loads(config_path.read_text())
    config["protocol"] = "http"  # URLs it hands out are opened by the tests, over plain HTTP
    # snac delivers every public post to its own shared inbox, over HTTP, from the same pool of
    # threads that answers requests: with few threads, a burst of posts starves both (requests
    # then wait for its 6 s delivery timeout).
    config["num_threads"] = 16
    config_path.write_text(json.dumps(config, indent=4))
    out = _snac("adduser", str(datadir), USER)
    found = re.search(r"User password is (\S+)", out)
    if found is None:
        raise RuntimeError(f"snac adduser printed no password:\n{out}")
    server = SnacServer(host=host, datadir=datadir, user=USER, password=found.group(1))
    log = (base / "httpd.log").open("wb")
    started = time.monotonic()
    popen = subprocess.Popen(
        [str(SNAC), "httpd", str(datadir)],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group
    )
    server.pid = popen.pid
    try:
        _wait_until_answering(server, popen, time.monotonic() + 30)
        server.start_s = time.monotonic() - started
        server.token = authorization_code_token(server.base_url, USER, server.password)
        server.setup_s = time.monotonic() - began
        yield server
    finally:
        if popen.poll() is None:
            os.killpg(popen.pid, signal.SIGTERM)
            try:
                popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(popen.pid, signal.SIGKILL)
                popen.wait(timeout=10)
        log.close()


# --- a recording reverse proxy --------------------------------------------------------------------


@dataclass
class Recorded:
    """One request as the proxy received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    status: int = 0
    #: The server's answer, as the proxy passed it on.
    answer: bytes = b""

    def form(self) -> dict[str, list[str]]:
        """The fields of a url-encoded, JSON or multipart body (not its files: :meth:`files`)."""
        kind = self.headers.get("content-type", "")
        if kind.startswith("application/x-www-form-urlencoded"):
            return urllib.parse.parse_qs(self.body.decode(), keep_blank_values=True)
        if kind.startswith("application/json"):
            data = json.loads(self.body)
            return {k: v if isinstance(v, list) else [v] for k, v in data.items()}
        fields: dict[str, list[str]] = {}
        for name, filename, payload in self._parts():
            if filename is None:
                fields.setdefault(name, []).append(payload.decode())
        return fields

    def files(self) -> dict[str, list[bytes]]:
        """The files of a multipart body, by field name."""
        found: dict[str, list[bytes]] = {}
        for name, filename, payload in self._parts():
            if filename is not None:
                found.setdefault(name, []).append(payload)
        return found

    def _parts(self) -> Iterator[tuple[str, str | None, bytes]]:
        kind = self.headers.get("content-type", "")
        if not kind.startswith("multipart/form-data"):
            return
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {kind}\r\n\r\n".encode() + self.body
        )
        for part in message.iter_parts():
            name = str(part.get_param("name", header="content-disposition"))
            payload = part.get_payload(decode=True)
            yield name, part.get_filename(), payload if isinstance(payload, bytes) else b""


class _ProxyHandler(BaseHTTPRequestHandler):
    server: _ProxyServer
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        record = Recorded(self.command, self.path, headers, body)
        upstream = HTTPConnection(self.server.target, timeout=30)
        try:
            send = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
            send["Host"] = self.server.target  # snac checks it
            upstream.request(self.command, self.path, body=body or None, headers=send)
            answer = upstream.getresponse()
            data = answer.read()
            record.status, record.answer = answer.status, data
            # recorded before the client has its answer: a test reading the records right after
            # the call returns must find this one
            with self.server.lock:
                self.server.records.append(record)
            self.send_response(answer.status)
            for name, value in answer.getheaders():
                if name.lower() not in ("connection", "transfer-encoding", "content-length"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        finally:
            upstream.close()
            if not record.status:  # no answer from upstream: still recorded
                with self.server.lock:
                    self.server.records.append(record)

    do_GET = do_POST = do_PUT = do_DELETE = _forward


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True
    target: str
    records: list[Recorded]
    lock: threading.Lock


class RecordingProxy(Serving):
    """A reverse proxy on 127.0.0.1 to ``target`` (``host:port``) that keeps every request."""

    httpd: _ProxyServer

    def __init__(self, target: str) -> None:
        super().__init__(
            _ProxyHandler, _ProxyServer, target=target, records=[], lock=threading.Lock()
        )

    def __enter__(self) -> RecordingProxy:
        self.start()
        return self

    def records(self) -> list[Recorded]:
        with self.httpd.lock:
            return list(self.httpd.records)


def bogus_token() -> str:
    """A token shaped like snac's that it never issued."""
    return secrets.token_hex(16)
