"""A tiny HTTP server whose answers a test writes: graphite-web's answers that a real one
gives only by accident (a 503 between two requests, a 413 for one event, a 500 to one
malformed event), each as graphite-web and the bulk view put them (status and JSON body)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

#: (path, request body) -> (HTTP status, JSON body)
Answer = Callable[[str, bytes], tuple[int, Any]]


class ScriptedWeb:
    """Where the server is, and every request it read (path, body), in order."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.requests: list[tuple[str, bytes]] = []

    def posted(self, path: str) -> list[Any]:
        """The JSON bodies posted to ``path``, parsed where they parse (else the bytes)."""
        out = []
        for where, body in self.requests:
            if where == path:
                try:
                    out.append(json.loads(body))
                except ValueError:
                    out.append(body)
        return out


@contextmanager
def scripted_web(answer: Answer) -> Iterator[ScriptedWeb]:
    web: ScriptedWeb

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            web.requests.append((self.path, body))
            status, said = answer(self.path, body)
            data = json.dumps(said).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            """Quiet: the test reads ``requests``."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    web = ScriptedWeb(f"http://127.0.0.1:{server.server_port}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield web
    finally:
        server.shutdown()
        server.server_close()
        thread.join(30)


def bulk_view(body: bytes) -> tuple[int, Any]:
    """As /wlgen/events/ answers a batch (wlgen_graphite_events.post_events): 400 without
    an index to a body that is not JSON, 400 with the index of the first event whose
    ``what`` is "bad", else 200."""
    try:
        events = json.loads(body)
    except ValueError as err:
        return 400, {"error": f"not JSON: {err}"}
    for index, event in enumerate(events):
        if event.get("what") == "bad":
            return 400, {"error": '"what" is bad', "index": index}
    return 200, {"saved": len(events), "duplicates": 0}
