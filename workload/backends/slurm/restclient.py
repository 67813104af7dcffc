"""HTTP to slurmrestd with JWT, standard library only (http.client), kept alive.

Every request carries ``X-SLURM-USER-TOKEN`` and, when the user is known,
``X-SLURM-USER-NAME``. Each thread keeps its own HTTP/1.1 connection open (the submit
workers are the concurrent requests; slurmrestd answers them on its own threads): a
new connection per request was most of a submit's cost through slurmrestd. Failures
become :class:`RestFailure` with a text the submit retry rules (retry.classify)
understand: a refused connection certainly did not create a job, a timeout or reset
after sending may have. Only an idempotent request (GET, DELETE) whose reused connection
turns out closed or reset (slurmrestd restarted meanwhile) is sent again at once, on a
new connection; a POST never is (its job may exist: the backend looks it up by its tag
first).
"""

from __future__ import annotations

import base64
import http.client
import json
import ssl
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

from workload.backends.slurm.restapi import error_text

#: user (or None: the token's own) -> (token, user name for the header or None)
Credentials = Callable[[str | None], tuple[str, str | None]]
#: HTTP statuses slurmrestd answers a refused token with (511: 24.11 and later).
AUTH_STATUSES = (401, 403, 511)
#: A connection idle this long is closed, not reused: a server (or a proxy between) may
#: have dropped it, and a POST that fails on it could only be looked up, not resent.
#: slurmrestd 22.05 kept an idle one for at least 35 s here.
IDLE_S = 15.0
IDEMPOTENT = ("GET", "DELETE", "HEAD")


class RestFailure(Exception):
    """A request that got no usable answer; ``status`` is 0 when no HTTP answer came."""

    def __init__(self, text: str, status: int = 0, doc: Mapping[str, Any] | None = None):
        super().__init__(text)
        self.status, self.doc = status, dict(doc or {})

    @property
    def auth(self) -> bool:
        return self.status in AUTH_STATUSES


class _Stale(Exception):
    """A reused connection was found closed or reset: ``cause`` is how."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


class RestClient:
    """JSON requests to one slurmrestd at ``url``, one kept-alive connection per thread.

    ``keep_alive=False`` opens a connection per request (what wlgen did before; the
    bench compares the two)."""

    def __init__(self, url: str, credentials: Credentials, timeout: float = 60, *,
                 keep_alive: bool = True) -> None:
        self.url, self.credentials, self.timeout = url.rstrip("/"), credentials, timeout
        self.keep_alive = keep_alive
        parts = urllib.parse.urlsplit(self.url)
        self.https, self.host, self.port = parts.scheme == "https", parts.hostname, parts.port
        self.base = parts.path.rstrip("/")
        self.local = threading.local()
        self.lock = threading.Lock()
        self.held: set[http.client.HTTPConnection] = set()
        self.opened = 0   # connections opened so far (what keep-alive saves, counted)

    def call(self, method: str, path: str, body: Any = None, *, user: str | None = None,
             query: Mapping[str, str] | None = None) -> dict[str, Any]:
        """The decoded JSON answer of a 2xx reply; RestFailure otherwise."""
        token, name = self.credentials(user)
        headers = {"X-SLURM-USER-TOKEN": token, "Accept": "application/json"}
        if name:
            headers["X-SLURM-USER-NAME"] = name
        data = None
        if body is not None:
            data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
        target = self.base + path + ("?" + urllib.parse.urlencode(query) if query else "")
        try:
            status, raw = self._exchange(method, target, data, headers)
        except _Stale as stale:
            if method not in IDEMPOTENT:
                raise _connection_failure(stale.cause) from None
            status, raw = self._send_once(method, target, data, headers)
        if not 200 <= status < 300:
            raise _http_failure(status, raw)
        return _decode(raw)

    def _send_once(self, method: str, target: str, data: bytes | None,
                   headers: dict[str, str]) -> tuple[int, bytes]:
        try:
            return self._exchange(method, target, data, headers)
        except _Stale as stale:   # a fresh connection is never stale: no retry loop here
            raise _connection_failure(stale.cause) from None

    def _exchange(self, method: str, target: str, data: bytes | None,
                  headers: dict[str, str]) -> tuple[int, bytes]:
        """(status, body) of one request on this thread's connection."""
        conn, reused = self._connection()
        try:
            conn.request(method, target, body=data, headers=headers)
            reply = conn.getresponse()
            raw = reply.read()
        except (ConnectionResetError, BrokenPipeError) as error:   # and RemoteDisconnected
            self._discard(conn)
            if reused:
                raise _Stale(error) from None
            raise _connection_failure(error) from None
        except (OSError, http.client.HTTPException) as error:
            self._discard(conn)
            raise _connection_failure(error) from None
        if reply.will_close or not self.keep_alive:
            self._discard(conn)
        else:
            self.local.used = time.monotonic()
        return reply.status, raw

    def _connection(self) -> tuple[http.client.HTTPConnection, bool]:
        """This thread's connection and whether it served a request before."""
        conn: http.client.HTTPConnection | None = getattr(self.local, "conn", None)
        if conn is not None and time.monotonic() - self.local.used > IDLE_S:
            self._discard(conn)
            conn = None
        if conn is not None:
            return conn, True
        if self.https:
            conn = http.client.HTTPSConnection(self.host or "", self.port,
                                               timeout=self.timeout,
                                               context=ssl.create_default_context())
        else:
            conn = http.client.HTTPConnection(self.host or "", self.port, timeout=self.timeout)
        with self.lock:
            self.held.add(conn)
            self.opened += 1
        self.local.conn, self.local.used = conn, time.monotonic()
        return conn, False

    def _discard(self, conn: http.client.HTTPConnection) -> None:
        conn.close()
        with self.lock:
            self.held.discard(conn)
        if getattr(self.local, "conn", None) is conn:
            self.local.conn = None

    def close(self) -> None:
        """Close every thread's connection (a thread that calls again opens a new one)."""
        with self.lock:
            held, self.held = self.held, set()
        for conn in held:
            conn.close()


def _decode(raw: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(raw or b"{}")
    except ValueError:
        raise RestFailure(f"not JSON: {raw[:200]!r}") from None
    return doc if isinstance(doc, dict) else {"value": doc}


def _http_failure(status: int, raw: bytes) -> RestFailure:
    try:
        doc = json.loads(raw)
    except ValueError:
        doc = None
    reason = http.client.responses.get(status, "")
    if isinstance(doc, dict):   # Slurm's own words, or the status's (24.11: 511, no errors)
        words = error_text(doc) or reason
    else:
        doc, words = {}, raw.decode(errors="replace").strip()[:300] or reason
    return RestFailure(f"HTTP {status}: {words}", status, doc)


def _connection_failure(reason: object) -> RestFailure:
    # Phrased so retry.classify files them right: refused -> retry, timed out or
    # reset after the request went out -> ambiguous (look the job up first).
    if isinstance(reason, ConnectionRefusedError):
        return RestFailure("Connection refused")
    if isinstance(reason, TimeoutError):
        return RestFailure("Socket timed out waiting for slurmrestd")
    if isinstance(reason, (ConnectionResetError, BrokenPipeError, http.client.HTTPException)):
        return RestFailure("Connection reset by slurmrestd")
    return RestFailure(f"Unable to establish a connection to slurmrestd: {reason}")


def token_user(token: str) -> str | None:
    """The user a Slurm JWT was made for (its "sun" claim), read without verifying it:
    only to name the user in the header, slurmctld checks the signature."""
    try:
        claims = token.split(".")[1]
        return str(json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
                   ["sun"])
    except (IndexError, ValueError, KeyError, TypeError):
        return None
