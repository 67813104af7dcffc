"""Write the realised schedule as SWF, in submit order, as jobs end."""

from __future__ import annotations

import heapq
import re
from pathlib import Path

from workload.event import CANCELLED, COMPLETED
from workload.run.schedule import JobRecord
from workload.spec import JobSpec
from workload.swf import Header, SwfRecord, SwfWriter

_NUMBERED = re.compile(r"[ug](\d+)")


class _Ids:
    """Names to SWF numbers: "u17" stays 17, other names get 1, 2, 3... in order seen."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}

    def __call__(self, name: str) -> int:
        match = _NUMBERED.fullmatch(name)
        if match:
            return int(match[1])
        return self.ids.setdefault(name, 100_000 + len(self.ids))


def swf_status(state: str) -> int:
    """SWF field 11: 1 completed, 5 cancelled, 0 failed (and every other end)."""
    return 1 if state == COMPLETED else 5 if state == CANCELLED else 0


class SwfScheduleWriter:
    """Jobs end out of order; a small heap puts them back in submit (seq) order."""

    def __init__(self, path: Path, header: Header, epoch: float) -> None:
        self.writer = SwfWriter(path, header)
        self.epoch = epoch
        self.specs: dict[int, JobSpec] = {}
        self.ready: list[tuple[int, SwfRecord]] = []
        self.next_seq = 0
        self.users, self.groups = _Ids(), _Ids()

    def remember(self, spec: JobSpec) -> None:
        """Keep what the events don't carry (requested time, group) until the job ends."""
        self.specs[spec.seq] = spec

    def add(self, job: JobRecord) -> None:
        spec = self.specs.pop(job.seq, None)
        limit = spec.time_limit_s if spec else -1
        group = self.groups(spec.group) if spec else -1
        wait = -1 if job.wait is None else round(job.wait, 3)
        run = -1 if job.start is None else round(job.run, 3)
        record = SwfRecord(job.seq + 1, round(job.submit - self.epoch, 3), wait, run,
                           job.procs if job.start is not None else -1, -1, -1, job.procs,
                           limit, -1, swf_status(job.state), self.users(job.user), group,
                           spec.executable if spec and spec.executable is not None else -1,
                           -1, -1, -1, -1)
        heapq.heappush(self.ready, (job.seq, record))
        self._flush_in_order()

    def _flush_in_order(self) -> None:
        ready = self.ready
        while ready and ready[0][0] <= self.next_seq:
            seq, record = heapq.heappop(ready)
            self.writer.write(record)
            self.next_seq = seq + 1

    def close(self) -> None:
        """Write whatever is left (gaps are jobs that never ended: an interrupted run)."""
        while self.ready:
            self.writer.write(heapq.heappop(self.ready)[1])
        self.writer.close()
