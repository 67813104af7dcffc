"""Lifecycle events as Graphite annotations (graphite-web's events API), what Grafana overlays.

One POST per event: ``{"what", "tags": [...], "data": "<json string>", "when": epoch}``.
graphite-web spends ~11 ms of CPU per event here, so heavy runs should annotate
``failures`` or ``startend``; the spool absorbs bursts either way.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from workload.errors import InputError
from workload.event import COMPLETED, END, FINAL_STATES, REQUEUED, START, Event
from workload.sinks.delivery import QueuedSink, Transport
from workload.sinks.transports import HttpPostTransport

FILTERS = ("all", "startend", "failures")
_SPACE = re.compile(r"\s+")


def wanted(event: Event, filter_: str) -> bool:
    """Does ``event`` pass the annotation filter (all | startend | failures)?"""
    if filter_ == "all":
        return True
    if filter_ == "startend":
        return event.kind in (START, END)
    failed = event.state in FINAL_STATES and event.state != COMPLETED
    return failed or event.state == REQUEUED


def tag(value: object) -> str:
    # graphite-web joins tags with spaces and splits them again: a space would split a tag.
    return _SPACE.sub("_", str(value))


class AnnotationSink(QueuedSink):
    """POSTs the events that pass ``filter_`` to ``<url>/events/``."""

    name = "annotations"
    batch_max = 20   # one POST each, ~15-30 ms apiece: keep a batch well inside a deadline

    def __init__(self, url: str, *, filter_: str = "all", spool_dir: Path | None = None,
                 buffer_max: int | None = None, backoff_max_s: float = 5.0) -> None:
        if filter_ not in FILTERS:
            raise InputError(f"must be one of {', '.join(FILTERS)}", field="annotate",
                             value=filter_)
        if not url.startswith(("http://", "https://")):
            raise InputError("expected an http(s):// URL", field="graphite-web", value=url)
        super().__init__(spool_dir=spool_dir, buffer_max=buffer_max,
                         backoff_max_s=backoff_max_s)
        self.url, self.filter = url.rstrip("/") + "/events/", filter_

    def transport(self) -> Transport:
        return HttpPostTransport(self.url)

    def emit(self, event: Event) -> None:
        if wanted(event, self.filter):   # filtered here: skipped events cost no queue put
            self._put(event)

    def encode(self, item: Any) -> list[bytes]:
        return [json.dumps(self.annotation(item)).encode()]

    def annotation(self, event: Event) -> dict[str, Any]:
        tags = ["wlgen", self.run_id, event.kind, event.state, event.partition, event.user]
        data = {"run_id": self.run_id, **event.to_dict()}
        return {"what": f"job {event.job_id} {event.kind} {event.state}",
                "tags": [tag(t) for t in tags if t],
                "data": json.dumps(data), "when": event.time}
