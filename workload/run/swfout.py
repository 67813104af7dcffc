"""Write the realised schedule as SWF, in submit order, as jobs end.

Times are whole multiples of 1/TIME_GRID s from UnixStartTime (the run's epoch in whole
seconds). Submit, start and end are rounded first and wait and run written as their
differences: rounding wait and run separately let a job's implied end fall after the
next job's start on the same CPUs (an implied over-commit). The grid is a binary
fraction so that a reader's float sum submit + wait + run is exact too.
The header is written at close, when counts and span are known; records stream to a
side file meanwhile, never held in memory.
"""

from __future__ import annotations

import heapq
import math
import re
from collections import Counter
from pathlib import Path

from workload.run.schedule import JobRecord
from workload.run.swfheader import TIME_GRID, ScheduleFacts, complete_header, swf_status
from workload.spec import JobSpec
from workload.swf import Header, SwfWriter
from workload.swf.record import format_value

__all__ = ["SwfScheduleWriter", "swf_status"]

_NUMBERED = re.compile(r"[ug](\d+)")


class _Ids:
    """Names to SWF numbers: "u17" stays 17, other names get 100000, 100001... in order seen."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.seen: dict[str, int] = {}   # every name met: a lookup, not a regex, a job

    def __call__(self, name: str) -> int:
        number = self.seen.get(name)
        if number is None:
            match = _NUMBERED.fullmatch(name)
            number = (int(match[1]) if match
                      else self.ids.setdefault(name, 100_000 + len(self.ids)))
            self.seen[name] = number
        return number


def partition_numbers(header: Header) -> dict[str, int]:
    """The header's ``Partition: N name`` lines as {name: N}: the numbers field 16 uses."""
    numbers: dict[str, int] = {}
    for value in header.get_all("Partition"):
        number, _, name = value.strip().partition(" ")
        if number.isdigit() and name.strip():
            numbers[name.strip()] = int(number)
    return numbers


class SwfScheduleWriter:
    """Jobs end out of order; a small heap puts them back in submit (seq) order."""

    def __init__(self, path: Path, header: Header, epoch: float) -> None:
        self.writer = SwfWriter(path, header_at_close=True)
        self.header = header
        self.start = math.floor(epoch)
        self.specs: dict[int, JobSpec] = {}
        self.ready: list[tuple[int, str]] = []
        self.next_seq = 0
        self.users, self.groups = _Ids(), _Ids()
        self.partitions = partition_numbers(header)
        self.states: Counter[str] = Counter()
        self.last_end = 0          # grid ticks
        self.clamped = 0
        self.missing = 0

    def remember(self, spec: JobSpec) -> None:
        """Keep what the events don't carry (requested time, group) until the job ends."""
        self.specs[spec.seq] = spec

    def add(self, job: JobRecord) -> None:
        spec = self.specs.pop(job.seq, None)
        self.states[job.state] += 1
        heapq.heappush(self.ready, (job.seq, self._line(job, spec)))
        self._flush_in_order()

    def _line(self, job: JobRecord, spec: JobSpec | None) -> str:
        """The job's SWF line, as ``format_record`` of its SwfRecord writes it (built
        directly: one line a job, and the record plus its per-field formatting was most
        of the schedule's cost)."""
        submit = self._ticks(job.submit, 0)
        end = self._ticks(job.end, submit)
        if job.start is None:
            wait = run = alloc = "-1"
        else:
            start = self._ticks(job.start, submit)
            end = max(end, start)
            wait, run = _time((start - submit) / TIME_GRID), _time((end - start) / TIME_GRID)
            alloc = str(job.procs)
        self.last_end = max(self.last_end, end)
        if spec is None:
            limit, memory, group, exe = "-1", "-1", "-1", "-1"
        else:
            limit, memory = format_value(spec.time_limit_s), str(_memory_kb(spec))
            group = str(self.groups(spec.group))
            exe = "-1" if spec.executable is None else str(spec.executable)
        return (f"{job.seq + 1} {_time(submit / TIME_GRID)} {wait} {run} {alloc} -1 -1 "
                f"{job.procs} {limit} {memory} {swf_status(job.state)} {self.users(job.user)} "
                f"{group} {exe} -1 {self._partition(job.partition)} -1 -1")

    def _ticks(self, when: float, floor: int) -> int:
        """``when`` on the grid, from UnixStartTime; never before ``floor`` (counted)."""
        ticks = round((when - self.start) * TIME_GRID)
        if ticks < floor:
            self.clamped += 1
            return floor
        return ticks

    def _partition(self, name: str) -> int:
        """Field 16: the header's number for ``name``; a name not in it gets the next one."""
        number = self.partitions.get(name)
        if number is None:
            if not name:
                return -1
            number = self.partitions[name] = max(self.partitions.values(), default=0) + 1
        return number

    def _flush_in_order(self) -> None:
        ready = self.ready
        while ready and ready[0][0] <= self.next_seq:
            seq, line = heapq.heappop(ready)
            self.writer.write_line(line)
            self.next_seq = seq + 1

    def close(self) -> None:
        """Write whatever is left (gaps are jobs that never ended: an interrupted run),
        then the header, now that counts and span are known."""
        while self.ready:
            seq, line = heapq.heappop(self.ready)
            self.missing += seq - self.next_seq
            self.writer.write_line(line)
            self.next_seq = seq + 1
        facts = ScheduleFacts(self.writer.count, self.start, self.last_end / TIME_GRID,
                              self.states, self.partitions, self.missing, self.clamped)
        self.writer.close(complete_header(self.header, facts))


def _time(value: float) -> str:
    """A time field as format_value writes a float: whole seconds without a point."""
    return str(int(value)) if value.is_integer() else repr(value)


def _memory_kb(spec: JobSpec | None) -> int:
    """SWF field 10, requested memory in KB per processor (-1: none requested)."""
    if spec is None or spec.mem_per_cpu_mb is None:
        return -1
    return spec.mem_per_cpu_mb * 1024
