"""The few wire transports the network sinks share: newline records over TCP, UDP, HTTP POST.

Each ``send`` reports how many leading records of a batch are confirmed delivered, which is
what lets ``Delivery`` keep a record until the receiver has it and never send it twice on
a healthy link.
"""

from __future__ import annotations

import http.client
import json
import logging
import socket
import urllib.error
import urllib.request

log = logging.getLogger(__name__)


def send_stream(address: tuple[str, int], data: bytes, timeout: float) -> None:
    """Send ``data`` on a fresh TCP connection and wait until the receiver has read it all.

    Plaintext receivers (carbon, rsyslog imtcp, Logstash tcp) send no acknowledgement, and
    a successful ``sendall`` only means the bytes reached a kernel buffer: a receiver that
    stops then loses them. So we half-close and wait for the receiver's own close, which
    it does only after reading up to our end-of-stream. A reset instead of a clean close
    raises, and the caller keeps the batch.
    """
    with socket.create_connection(address, timeout) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        while sock.recv(4096):
            pass   # receivers of these protocols don't answer; ignore anything they say


def join_lines(batch: list[bytes]) -> bytes:
    return b"\n".join(batch) + b"\n"


class StreamTransport:
    """Newline-delimited records over TCP (Logstash json_lines, rsyslog imtcp)."""

    rejected = 0

    def __init__(self, host: str, port: int, timeout: float = 5.0) -> None:
        self.address, self.timeout = (host, port), timeout

    def send(self, batch: list[bytes]) -> int:
        send_stream(self.address, join_lines(batch), self.timeout)
        return len(batch)

    def close(self) -> None:
        """Nothing held open: every batch has its own connection."""


class DatagramTransport:
    """One record per UDP datagram. Best effort by nature: nothing can confirm delivery."""

    rejected = 0

    def __init__(self, host: str, port: int) -> None:
        self.address = (host, port)
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

    def send(self, batch: list[bytes]) -> int:
        for record in batch:
            self._sock.sendto(record + b"\n", self.address)
        return len(batch)

    def close(self) -> None:
        self._sock.close()


class HttpPostTransport:
    """One JSON body per POST. A 4xx answer is final for that record: counted as rejected."""

    def __init__(self, url: str, timeout: float = 5.0) -> None:
        self.url, self.timeout = url, timeout
        self.rejected = 0

    def send(self, batch: list[bytes]) -> int:
        for done, body in enumerate(batch):
            if not self._post(body, first=done == 0):
                return done
        return len(batch)

    def _post(self, body: bytes, first: bool) -> bool:
        request = urllib.request.Request(self.url, data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                answer.read()
            return True
        except urllib.error.HTTPError as err:
            if 400 <= err.code < 500:
                self.rejected += 1
                log.error("%s refused an event (HTTP %d): %s", self.url, err.code, body[:200])
                return True   # retrying cannot help; move on
            return self._unavailable(err, first)
        except (OSError, http.client.HTTPException) as err:
            # HTTPException (a cut answer, a bad status line: a dying graphite-web) is no
            # OSError, and would end the sender thread: it is the receiver being away too.
            return self._unavailable(err, first)

    @staticmethod
    def _unavailable(err: Exception, first: bool) -> bool:
        if first:
            raise OSError(f"POST failed: {err}") from err
        return False   # the records before this one were delivered: report them

    def close(self) -> None:
        """urllib opens a connection per request; nothing to release."""


class EventsTransport:
    """graphite-web annotations: a batch in one POST to ``<base>/wlgen/events/`` (a wlgen
    monitoring container), else one POST each to ``<base>/events/`` (any graphite-web).

    The bulk endpoint is all or nothing: a 5xx or a timeout raises OSError (the batch is
    retried later); a 400 names the index of a malformed event, which is refused alone
    (counted in ``rejected``; graphite-web's own ``/events/`` answers 500 to most of them,
    so one POST an event would retry it for ever) and the rest goes again. A 404 the
    first time means this graphite-web has no bulk endpoint: from then on, one POST an
    event.

    A batch slower than the timeout may still be saved: the bulk endpoint skips events
    whose key (run id, job seq, kind, state, time: ``AnnotationSink.key``) it has saved,
    so the retry stores nothing twice. The retry also sends half as many events at once
    (``limit``, doubled again after each batch confirmed), as after a 413 (too large).
    """

    def __init__(self, base: str, timeout: float = 10.0) -> None:
        self.bulk_url, self.timeout = base + "/wlgen/events/", timeout
        self.single = HttpPostTransport(base + "/events/", timeout)
        self.bulk: bool | None = None   # None: not known yet
        self.limit: int | None = None   # events a POST (None: the whole batch)
        self.refused = 0                # malformed events the bulk endpoint named

    @property
    def rejected(self) -> int:
        return self.single.rejected + self.refused

    def send(self, batch: list[bytes]) -> int:
        if self.bulk is False:
            return self.single.send(batch)
        part = batch[:self.limit] if self.limit else batch
        left = list(part)
        while left:
            answer = self._send_bulk(left)
            if answer is _SAVED:
                break
            if answer is _NO_BULK:
                return self.single.send(batch)
            if answer is _UNSAID:   # refused without naming an event: one by one finds it
                return self.single.send(part)
            assert isinstance(answer, int)
            self.refused += 1
            log.error("%s refused an event: %s", self.bulk_url, left.pop(answer)[:200])
        if self.limit:
            self.limit = None if self.limit * 2 >= len(batch) else self.limit * 2
        return len(part)

    def _send_bulk(self, batch: list[bytes]) -> object:
        """_SAVED, the index of an event refused as malformed, _UNSAID (refused, no index)
        or _NO_BULK (this graphite-web has no bulk endpoint); OSError: retry later."""
        body = b"[" + b",".join(batch) + b"]"
        request = urllib.request.Request(self.bulk_url, data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                answer.read()
        except urllib.error.HTTPError as err:
            return self._refusal(err, batch)
        except (OSError, http.client.HTTPException) as err:
            # Refused, reset, timed out, an answer cut short: graphite-web is away.
            if _timed_out(err):
                self._halve(batch, f"had no answer in {self.timeout:g} s")
            raise OSError(f"POST {self.bulk_url} failed: {err!r}") from err
        self.bulk = True
        return _SAVED

    def _refusal(self, err: urllib.error.HTTPError, batch: list[bytes]) -> object:
        if err.code == 404 and self.bulk is None:
            log.info("%s: no bulk events endpoint, one POST an event", self.bulk_url)
            self.bulk = False
            return _NO_BULK
        if err.code == 413 and len(batch) > 1:   # too large: retried at half the size
            self._halve(batch, "were too large a body")
        elif err.code == 400:
            index = _index(err)
            return index if index is not None and 0 <= index < len(batch) else _UNSAID
        elif 400 <= err.code < 500:
            return _UNSAID
        raise OSError(f"POST {self.bulk_url} failed: HTTP {err.code}") from err

    def _halve(self, batch: list[bytes], why: str) -> None:
        self.limit = max(1, len(batch) // 2)
        log.info("%s: %d events %s, %d a POST from now", self.bulk_url, len(batch), why,
                 self.limit)

    def close(self) -> None:
        """urllib opens a connection per request; nothing to release."""


_SAVED, _NO_BULK, _UNSAID = object(), object(), object()


def _index(err: urllib.error.HTTPError) -> int | None:
    """The ``index`` of the bad event a 400 of the bulk endpoint names, if it names one."""
    try:
        said = json.loads(err.read())
    except (OSError, ValueError, http.client.HTTPException):
        return None
    index = said.get("index") if isinstance(said, dict) else None
    return index if isinstance(index, int) and not isinstance(index, bool) else None


def _timed_out(err: BaseException) -> bool:
    """A timeout, raised as itself or as urllib's URLError around it."""
    return isinstance(err, TimeoutError) or isinstance(getattr(err, "reason", None),
                                                      TimeoutError)
