"""Faults as Graphite annotations and log receiver events, on a cluster with monitoring.

The places that apply faults (workload/fabric/faults.py for `wlgen fabric` and a
scenario's link faults, workload/backends/slurm/faults.py for a scenario's other faults)
call :func:`fault` once per fault event. It POSTs a graphite-web event

    {"what": "fault <action> <node>", "tags": ["wlgen", <cluster>, "fault", <action>,
     <node>], "data": "<json>", "when": <epoch>}

(read back with ``/events/get_data?tags=wlgen fault`` or drawn with
``drawAsInfinite(events('wlgen', 'fault'))``), and sends the receiver one JSON line
(``type: wlgen-fault``, as the job events' documents: ``@timestamp``, ``@version``).

A fault is applied whatever happens here: on a cluster without monitoring this does
nothing; when graphite-web or the receiver does not answer within ``timeout_s`` the
fault goes on and a warning names what was not recorded (never silently).
"""

from __future__ import annotations

import json
import logging
import socket
import time
import urllib.request
from collections.abc import Mapping
from typing import Any

from workload.cluster.monitoring import Endpoints

log = logging.getLogger(__name__)
TIMEOUT_S = 5.0


def annotation(cluster: str, action: str, node: str, when: float,
               detail: dict[str, Any]) -> dict[str, Any]:
    """graphite-web's event for one fault (tags without spaces: it splits on them)."""
    tags = ["wlgen", cluster, "fault", action, node]
    return {"what": f"fault {action} {node}".strip(),
            "tags": [t.replace(" ", "_") for t in tags if t],
            "data": json.dumps({"cluster": cluster, "action": action, "node": node,
                                **detail}), "when": when}


def document(cluster: str, action: str, node: str, when: float,
             detail: dict[str, Any]) -> dict[str, Any]:
    """The receiver's JSON line for one fault."""
    from workload.sinks.logstash import iso8601
    return {"@timestamp": iso8601(when), "@version": "1", "type": "wlgen-fault",
            "message": f"fault {action} {node}".strip(), "cluster": cluster,
            "action": action, "node": node, "time": round(when, 3), **detail}


def fault(ends: Endpoints | None, cluster: str, action: str, node: str = "",
          when: float | None = None, detail: Mapping[str, Any] | None = None,
          timeout_s: float = TIMEOUT_S) -> bool:
    """Record one fault; True when both graphite-web and the receiver took it."""
    if ends is None:
        return False
    when = time.time() if when is None else when
    detail = dict(detail or {})
    ok = True
    try:
        post_event(ends.graphite_web, annotation(cluster, action, node, when, detail),
                   timeout_s)
    except OSError as err:
        ok = False
        log.warning("fault %s %s not annotated in %s: %s", action, node, ends.graphite_web, err)
    try:
        send_line(ends.logstash(), document(cluster, action, node, when, detail), timeout_s)
    except OSError as err:
        ok = False
        log.warning("fault %s %s not sent to %s: %s", action, node, ends.logstash(), err)
    return ok


def post_event(web: str, event: dict[str, Any], timeout_s: float) -> None:
    request = urllib.request.Request(f"{web.rstrip('/')}/events/",
                                     data=json.dumps(event).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout_s) as answer:
        answer.read()


def send_line(url: str, doc: dict[str, Any], timeout_s: float) -> None:
    """One JSON line over TCP (``tcp://HOST:PORT``)."""
    host, _, port = url.removeprefix("tcp://").rpartition(":")
    with socket.create_connection((host, int(port)), timeout=timeout_s) as conn:
        conn.sendall(json.dumps(doc).encode() + b"\n")
