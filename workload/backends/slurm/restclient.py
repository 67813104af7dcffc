"""HTTP to slurmrestd with JWT, standard library only (urllib).

Every request carries ``X-SLURM-USER-TOKEN`` and, when the user is known,
``X-SLURM-USER-NAME``. Failures become :class:`RestFailure` with a text the submit
retry rules (retry.classify) understand: a refused connection certainly did not create
a job, a timeout or reset after sending may have.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

from workload.backends.slurm.restapi import error_text

#: user (or None: the token's own) -> (token, user name for the header or None)
Credentials = Callable[[str | None], tuple[str, str | None]]
#: HTTP statuses slurmrestd answers a refused token with (511: 24.11 and later).
AUTH_STATUSES = (401, 403, 511)


class RestFailure(Exception):
    """A request that got no usable answer; ``status`` is 0 when no HTTP answer came."""

    def __init__(self, text: str, status: int = 0, doc: Mapping[str, Any] | None = None):
        super().__init__(text)
        self.status, self.doc = status, dict(doc or {})

    @property
    def auth(self) -> bool:
        return self.status in AUTH_STATUSES


class RestClient:
    """JSON requests to one slurmrestd at ``url``."""

    def __init__(self, url: str, credentials: Credentials, timeout: float = 60) -> None:
        self.url, self.credentials, self.timeout = url.rstrip("/"), credentials, timeout

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
        target = self.url + path + ("?" + urllib.parse.urlencode(query) if query else "")
        request = urllib.request.Request(target, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as reply:
                return _decode(reply.read())
        except urllib.error.HTTPError as error:
            raise _http_failure(error) from None
        except urllib.error.URLError as error:
            raise _connection_failure(error.reason) from None
        except (TimeoutError, ConnectionError) as error:
            raise _connection_failure(error) from None


def _decode(raw: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(raw or b"{}")
    except ValueError:
        raise RestFailure(f"not JSON: {raw[:200]!r}") from None
    return doc if isinstance(doc, dict) else {"value": doc}


def _http_failure(error: urllib.error.HTTPError) -> RestFailure:
    raw = error.read()
    try:
        doc = json.loads(raw)
    except ValueError:
        doc = None
    if isinstance(doc, dict):   # Slurm's own words, or the status's (24.11: 511, no errors)
        words = error_text(doc) or str(error.reason)
    else:
        doc, words = {}, raw.decode(errors="replace").strip()[:300] or str(error.reason)
    return RestFailure(f"HTTP {error.code}: {words}", error.code, doc)


def _connection_failure(reason: object) -> RestFailure:
    # Phrased so retry.classify files them right: refused -> retry, timed out or
    # reset after the request went out -> ambiguous (look the job up first).
    if isinstance(reason, ConnectionRefusedError):
        return RestFailure("Connection refused")
    if isinstance(reason, TimeoutError):
        return RestFailure("Socket timed out waiting for slurmrestd")
    if isinstance(reason, (ConnectionResetError, BrokenPipeError)):
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
