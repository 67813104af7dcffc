"""wlgen's own time per storm, without Slurm: the Slurm backend's submit path (queueing,
grouping, the array script, tracking) against a runner that answers every sbatch at
once with a job id. What bench/storm_slurm.py measures minus Slurm and the relay, and
steady enough (no slurmctld, no containers) to compare changes to that path.

    python3 bench/submit_overhead.py [--jobs 1000] [--rounds 30]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Sequence

import simpy

from workload.backends.base import ClusterInfo, NodeInfo
from workload.backends.slurm.backend import SlurmBackend
from workload.backends.slurm.cli import CliClient
from workload.backends.slurm.runner import Done, Runner
from workload.cluster import wait_for
from workload.spec import JobSpec

from storm_slurm import TimedTracker   # bench/ is on the path when run as a script


class AnswersAtOnce(Runner):
    """sbatch says "4242" the moment it is asked; nothing else is ever run."""

    def run(self, argv: Sequence[str], *, input: str | None = None,
            user: tuple[int, int] | None = None, timeout: float = 60) -> Done:
        return Done(0, "4242\n", "")


def storm_ms(jobs: int, arrays: bool) -> float:
    """Milliseconds from the first submit to the moment the last job id is recorded."""
    backend = SlurmBackend(CliClient(AnswersAtOnce()), account="wlgen", mem_per_cpu_mb=512,
                           arrays=arrays)
    backend.info = ClusterInfo("bench", (NodeInfo("n1", 64, 64000),), "batch", "22.05")
    backend.tracker = accepted = TimedTracker()
    backend.attach(simpy.Environment(), lambda event: None, time.time(), "bench")
    assert backend.watcher is not None
    backend.watcher.stop()   # no squeue to answer: only the submit path is measured
    specs = [JobSpec(seq=i, submit_s=0, procs=1, runtime_s=1, time_limit_s=60, user="u1")
             for i in range(jobs)]
    began = time.monotonic()
    for spec in specs:
        backend.submit(spec)
    wait_for(lambda: len(backend.tracker.tracks) >= jobs, 60, "every job recorded",
             interval=0.01)
    backend.client.close()
    assert backend.pool is not None
    backend.pool.stop()
    return (accepted.last - began) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    for arrays, label in ((True, "packed (one array)"), (False, "one sbatch a job")):
        runs = sorted(storm_ms(args.jobs, arrays) for _ in range(args.rounds))
        print(f"  {args.jobs} jobs, {label:<20} median {statistics.median(runs):7.2f} ms, "
              f"p10 {runs[len(runs) // 10]:7.2f}, p90 {runs[len(runs) * 9 // 10]:7.2f} "
              f"({args.rounds} rounds)")


if __name__ == "__main__":
    main()
