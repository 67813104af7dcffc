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
import time
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


ALONE_TRIES = 5      # a record answered 500 this many times alone, ...
ALONE_SPAN_S = 60.0  # ... over at least this long (a locked database passes), is refused


class Refusals:
    """Records a receiver refused for good, counted once each. A record is counted only
    when the send that refused it reports it among its leading settled records (so
    ``Delivery`` forgets it at once and never sends or counts it again), and a record
    the receiver keeps failing on its own (graphite-web's own ``/events/`` answers 500
    to a malformed event) is refused after :data:`ALONE_TRIES` tries, not retried for
    ever with everything behind it waiting. The tries must also span
    :data:`ALONE_SPAN_S`: a graphite-web answering 500 to everything for a while (its
    SQLite database locked) delays the events, and drops none of them."""

    def __init__(self, where: str) -> None:
        self.where, self.count = where, 0
        self._tries: dict[bytes, tuple[int, float]] = {}   # record: (tries, first try)

    def refuse(self, record: bytes, why: str) -> None:
        self.count += 1
        self._tries.pop(record, None)
        log.error("%s refused an event (%s): %s", self.where, why, record[:200])

    def failed_alone(self, record: bytes, why: str) -> bool:
        """Note one more failure of ``record`` sent alone; True when that refused it."""
        tries, since = self._tries.get(record, (0, time.monotonic()))
        tries += 1
        if tries < ALONE_TRIES or time.monotonic() - since < ALONE_SPAN_S:
            self._tries[record] = (tries, since)
            return False
        self.refuse(record, f"{why}, {tries} times alone")
        return True

    def settled(self, records: list[bytes]) -> None:
        for record in records:
            self._tries.pop(record, None)


class HttpPostTransport:
    """One JSON body per POST. A 4xx answer is final for that record, and so is a 500
    answered :data:`ALONE_TRIES` times: counted as rejected."""

    def __init__(self, url: str, timeout: float = 5.0) -> None:
        self.url, self.timeout = url, timeout
        self.refusals = Refusals(url)

    @property
    def rejected(self) -> int:
        return self.refusals.count

    def send(self, batch: list[bytes]) -> int:
        for done, body in enumerate(batch):
            if not self._post(body, first=done == 0):
                self.refusals.settled(batch[:done])
                return done
        self.refusals.settled(batch)
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
                self.refusals.refuse(body, f"HTTP {err.code}")
                return True   # retrying cannot help; move on
            if err.code == 500 and self.refusals.failed_alone(body, "HTTP 500"):
                return True   # 502-504 are a proxy's "away": never counted against it
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
    """graphite-web annotations: batches in one POST each to ``<base>/wlgen/events/`` (a
    wlgen monitoring container), else one POST each to ``<base>/events/`` (any graphite-web).

    The bulk endpoint is all or nothing: a 5xx or a timeout raises OSError (the batch is
    retried later); a 400 names the index of a malformed event: the events before it go
    in one POST, then it is refused alone (counted in ``rejected``: graphite-web's own
    ``/events/`` answers 500 to most of them) and the rest goes on. A record that is not
    a JSON object (a spool line cut or corrupted) is refused before it is posted. A 404
    the first time means this graphite-web has no bulk endpoint: from then on, one POST
    an event. A batch is sent in parts of ``limit`` events, all within one ``send``.

    A batch slower than the timeout may still be saved: the bulk endpoint skips events
    whose key (run id, job seq, kind, state, time: ``AnnotationSink.key``) it has saved,
    so the retry stores nothing twice. The retry also sends half as many events at once
    (``limit``, doubled again after each part confirmed), as after a 413 (too large) or
    a 500; a single event answered 413 is refused, one answered 500 :data:`ALONE_TRIES`
    times too.
    """

    def __init__(self, base: str, timeout: float = 10.0) -> None:
        self.bulk_url, self.timeout = base + "/wlgen/events/", timeout
        self.single = HttpPostTransport(base + "/events/", timeout)
        self.refusals = self.single.refusals   # one count, whichever endpoint refused
        self.bulk: bool | None = None   # None: not known yet
        self.limit: int | None = None   # events a POST (None: the whole batch)

    @property
    def rejected(self) -> int:
        return self.refusals.count

    def send(self, batch: list[bytes]) -> int:
        """Leading records settled (saved or refused); OSError when none were."""
        done = 0
        while done < len(batch):
            try:
                if self.bulk is False:
                    return done + self.single.send(batch[done:])
                done += self._settle(batch[done:done + (self.limit or len(batch))])
            except OSError:
                if done == 0:
                    raise
                return done   # the ones before were settled: report them
            if self.limit:
                self.limit = None if self.limit * 2 >= len(batch) else self.limit * 2
        return done

    def _settle(self, part: list[bytes]) -> int:
        """Save or refuse the leading records of ``part``: how many (at least one)."""
        bad = _first_malformed(part)
        if bad == 0:
            self.refusals.refuse(part[0], "not a JSON object")
            return 1
        head = part[:bad] if bad is not None else part
        answer = self._send_bulk(head)
        if answer is _SAVED:
            self.refusals.settled(head)
            return len(head)
        if answer is _REFUSED:   # counted by _refusal
            return 1
        if answer is _NO_BULK or answer is _UNSAID:   # one by one: only the bad one refused
            return self.single.send(head)
        assert isinstance(answer, int)
        saved = self._settle(head[:answer]) if answer else 0
        if saved < answer:
            return saved
        self.refusals.refuse(head[answer], "named by the bulk endpoint")
        return answer + 1

    def _send_bulk(self, batch: list[bytes]) -> object:
        """_SAVED, the index of an event refused as malformed, _REFUSED (the one event of
        ``batch``, refused for good), _UNSAID (refused, no index) or _NO_BULK (this
        graphite-web has no bulk endpoint); OSError: retry later."""
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
        if err.code in (413, 500) and len(batch) > 1:
            # Too large, or one event in it breaks the save: half as many, until alone.
            self._halve(batch, f"were answered HTTP {err.code}")
        elif err.code == 413:
            self.refusals.refuse(batch[0], "HTTP 413: too large alone")
            return _REFUSED
        elif err.code == 500 and self.refusals.failed_alone(batch[0], "HTTP 500"):
            return _REFUSED
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


_SAVED, _NO_BULK, _UNSAID, _REFUSED = object(), object(), object(), object()


def _first_malformed(batch: list[bytes]) -> int | None:
    """The index of the first record that is not a JSON object (a corrupted spool line
    would make the whole bulk body unreadable, refused without an index), or None."""
    for index, record in enumerate(batch):
        try:
            if not isinstance(json.loads(record), dict):
                return index
        except ValueError:
            return index
    return None


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
