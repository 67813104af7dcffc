"""schedule.swf writer cost: CPU per job of SwfScheduleWriter.add and of its close.

Feeds N ended jobs (ending out of order, as a backfilled run does) through the writer a
run uses, and prints the CPU seconds of making the jobs alone, of making and adding them,
and of close (the header and, since issue 19, copying the records after it).

    python bench/swf_writer.py [--jobs 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from pathlib import Path

from workload.run.schedule import JobRecord
from workload.run.swfout import SwfScheduleWriter
from workload.spec import JobSpec
from workload.swf import Header

EPOCH = 1_767_225_600.0


def jobs(n: int, seed: int = 1):
    """(spec, record) pairs: seq order for specs; ends shuffled within windows of 64."""
    rng = random.Random(seed)
    order = list(range(n))
    for i in range(0, n, 64):
        window = order[i:i + 64]
        rng.shuffle(window)
        order[i:i + 64] = window
    for seq in order:
        submit = EPOCH + seq * 1.7
        start = submit + rng.random() * 300
        yield (JobSpec(seq, submit - EPOCH, 4, 100, 120, group="g1"),
               JobRecord(seq, f"sim-{seq}", submit, start, start + 100.123, 4, "COMPLETED",
                         "u1", "batch", ()))


def once(n: int, directory: Path) -> tuple[float, float, float]:
    began = time.process_time()
    for _ in jobs(n):
        pass
    making = time.process_time() - began
    writer = SwfScheduleWriter(directory / "schedule.swf",
                               Header([("Partition", "1 batch")]), EPOCH)
    began = time.process_time()
    for spec, record in jobs(n):
        writer.remember(spec)
        writer.add(record)
    adding = time.process_time() - began
    began = time.process_time()
    writer.close()
    closing = time.process_time() - began
    return making, adding, closing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="rounds (best kept)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rounds = [once(args.jobs, Path(tmp)) for _ in range(args.repeat)]
        size = os.path.getsize(Path(tmp) / "schedule.swf")
    making, adding, closing = (min(r[i] for r in rounds) for i in range(3))
    per_job = (adding - making) / args.jobs * 1e6
    print(f"jobs {args.jobs:,}  file {size / 1e6:.1f} MB  (best of {args.repeat}, CPU s)")
    print(f"  add  {adding - making:7.2f} s   {per_job:5.2f} us/job")
    print(f"  close {closing:6.2f} s")


if __name__ == "__main__":
    main()
