"""Job specs as SWF records, and an account of what SWF cannot carry.

SWF numbers users, groups, queues and partitions; it has one "preceding job" (field 17)
and a status of 1 (completed), 0 (failed) or 5 (cancelled). Everything else a spec may
carry (GPUs, QOS, names, exit codes, the point a job was cancelled at, dependencies
beyond one job, a heterogeneous job's separate components) is dropped, and ``Lost``
counts each kind so the caller can say so. A heterogeneous job is one record whose
processors (fields 5 and 8) are all its components' tasks; its memory (field 10) is
the first component's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator

from workload.spec import JobSpec
from workload.swf import Header, SwfRecord

_STATUS = {None: 1, "COMPLETED": 1, "CANCELLED": 5}   # anything else ended badly: 0
HET_LOST = ("heterogeneous job components (one record of all their tasks; each "
            "component's own tasks, nodes, memory and GPUs)")
_FIELD_17 = ("after", "afterany", "afterok", "singleton")   # "after that one job ended"


class Numbers:
    """Names as SWF's numbers, 1, 2, ... in order of first appearance."""

    def __init__(self) -> None:
        self.of: dict[str, int] = {}

    def __call__(self, name: str | None) -> int:
        if name is None:
            return -1
        return self.of.setdefault(name, len(self.of) + 1)


class SwfConversion:
    """``records(specs)`` yields SWF records; ``lost`` counts jobs per dropped kind."""

    def __init__(self) -> None:
        self.lost: Counter[str] = Counter()
        self.users, self.groups, self.queues, self.partitions = (Numbers(), Numbers(),
                                                                  Numbers(), Numbers())
        self.max_procs = 0

    def records(self, specs: Iterable[JobSpec]) -> Iterator[SwfRecord]:
        number = {}
        for spec in specs:
            job = spec.seq + 1
            if spec.source_id is not None:
                number[spec.source_id] = job
            self._count_lost(spec)
            self.max_procs = max(self.max_procs, spec.total_procs)
            yield self.record(spec, job, self._preceding(spec, number))

    def record(self, spec: JobSpec, job: int, preceding: int) -> SwfRecord:
        run = min(spec.runtime_s, spec.time_limit_s) if spec.final_state == "TIMEOUT" \
            else spec.runtime_s
        mem_kb = spec.mem_per_cpu_mb * 1024 if spec.mem_per_cpu_mb else -1
        procs = spec.total_procs
        return SwfRecord(
            job=job, submit=spec.submit_s, wait=-1, run=run, alloc_procs=procs,
            avg_cpu=-1, used_mem=-1, req_procs=procs, req_time=spec.time_limit_s,
            req_mem=mem_kb, status=_STATUS.get(spec.final_state, 0),
            user=self.users(spec.user), group=self.groups(spec.group),
            executable=spec.executable if spec.executable is not None else -1,
            queue=self.queues(spec.qos), partition=self.partitions(spec.partition),
            preceding=preceding, think=spec.think_s if preceding > 0 else -1)

    def _preceding(self, spec: JobSpec, number: dict[int, int]) -> int:
        """Field 17: the one job this one waited for, when it waited for exactly one."""
        if spec.preceding is not None:
            return number.get(spec.preceding, -1)
        targets = [t for kind, ids in spec.depends for t in ids]
        if len(spec.depends) == 1 and spec.depends[0][0] in _FIELD_17 and len(targets) == 1 \
                and targets[0] in number:
            return number[targets[0]]
        return -1

    def _count_lost(self, spec: JobSpec) -> None:
        checks = {
            "GPUs": spec.gpus > 0 or any(c.gpus for c in spec.components),
            "QOS names (numbered as queues)": spec.qos is not None,
            "job names": spec.name is not None, "accounts": spec.account is not None,
            "exit codes": spec.exit_code is not None,
            "cancel points (status 5 only)": spec.cancel_after_s is not None,
            "end states other than completed/failed/cancelled (status 0)":
                spec.final_state not in (None, "COMPLETED", "FAILED", "CANCELLED"),
            "array job and task ids": spec.array_job is not None,
            "pinned node counts": spec.nodes is not None,
            HET_LOST: bool(spec.components),
            "dependencies beyond field 17 (several jobs, or afternotok...)":
                bool(spec.depends) and (len(spec.depends) > 1 or len(spec.depends[0][1]) != 1
                                        or spec.depends[0][0] not in _FIELD_17),
        }
        self.lost.update(kind for kind, lost in checks.items() if lost)

    def header(self, count: int, note: str) -> Header:
        header = Header()
        header.set("Version", "2.2")
        header.set("Computer", "converted by wlgen")
        header.set("MaxJobs", str(count))
        header.set("MaxRecords", str(count))
        header.set("MaxProcs", str(self.max_procs))
        header.entries.append(("Note", note))
        for kind, jobs in sorted(self.lost.items()):
            header.entries.append(("Note", f"not carried by SWF: {kind} ({jobs} jobs)"))
        for what, numbers in (("User", self.users), ("Queue", self.queues),
                              ("Partition", self.partitions)):
            for name, num in numbers.of.items():
                header.entries.append((what, f"{num} {name}"))
        return header
