"""The few wire transports the network sinks share: newline records over TCP, UDP, HTTP POST.

Each ``send`` reports how many leading records of a batch are confirmed delivered, which is
what lets ``Delivery`` keep a record until the receiver has it and never send it twice on
a healthy link.
"""

from __future__ import annotations

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
        except OSError as err:
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
    retried later); a 4xx means an event in it is malformed, so that batch goes one by
    one and only the bad event is refused (counted in ``rejected``). A 404 the first
    time means this graphite-web has no bulk endpoint: from then on, one POST an event.
    """

    def __init__(self, base: str, timeout: float = 10.0) -> None:
        self.bulk_url, self.timeout = base + "/wlgen/events/", timeout
        self.single = HttpPostTransport(base + "/events/", timeout)
        self.bulk: bool | None = None   # None: not known yet

    @property
    def rejected(self) -> int:
        return self.single.rejected

    def send(self, batch: list[bytes]) -> int:
        if self.bulk is not False and self._send_bulk(batch):
            return len(batch)
        return self.single.send(batch)

    def _send_bulk(self, batch: list[bytes]) -> bool:
        """True when graphite-web saved the whole batch; False: send it one by one."""
        body = b"[" + b",".join(batch) + b"]"
        request = urllib.request.Request(self.bulk_url, data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                answer.read()
        except urllib.error.HTTPError as err:
            if err.code == 404 and self.bulk is None:
                log.info("%s: no bulk events endpoint, one POST an event", self.bulk_url)
                self.bulk = False
                return False
            if 400 <= err.code < 500:
                return False   # a bad event in the batch: one by one finds it
            raise OSError(f"POST {self.bulk_url} failed: HTTP {err.code}") from err
        except OSError as err:   # refused, reset, timed out: graphite-web is away
            raise OSError(f"POST {self.bulk_url} failed: {err}") from err
        self.bulk = True
        return True

    def close(self) -> None:
        """urllib opens a connection per request; nothing to release."""
