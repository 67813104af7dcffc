"""Round trip: a storm run on a container cluster, its accounting dumped, the dump read
back gives the same workload (users, procs, time limits; run times within a second).

The stored dumps come from make_dumps.py (STORM there); the storm is seeded, so the
workload it ran is regenerated here. The live test does the same on a fresh cluster.
"""

from __future__ import annotations

import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from workload.cluster import down
from workload.sources import StormSource
from workload.sources.sacct import SacctSource, sniff
from workload.spec import JobSpec

from tests.clusters import per_run_name
from tests.sources.conftest import RELEASES, SACCT, dump

sys.path.insert(0, str(SACCT))
from make_dumps import STORM  # noqa: E402  (the one definition of the storm)


def storm_workload() -> list[JobSpec]:
    args = dict(zip(STORM[::2], STORM[1::2]))
    return list(StormSource(int(args["--jobs"]), users=int(args["--users"]),
                            size=args["--size"], runtime=args["--runtime"],
                            seed=int(args["--seed"])))


# Slurm keeps whole seconds: Start and End are each truncated, so Elapsed is the run time
# give or take one second, plus the payload's own start (python3 -m jobs): the stored
# 22.05 storm is within 0.9 s; the 26.05 one, run at a load average of ~14 on 2 cores,
# within 2.0 s.
TOLERANCE_S = 2.5


def same_workload(ran: list[JobSpec], back: list[JobSpec]) -> None:
    """Same jobs: by (user, procs, limit), the same count, and run times as close as
    Slurm's whole-second clock and the payload's start allow (TOLERANCE_S)."""
    def groups(specs):
        out = defaultdict(list)
        for spec in specs:
            out[(spec.user, spec.procs, spec.time_limit_s)].append(spec.runtime_s)
        return {k: sorted(v) for k, v in out.items()}
    want, got = groups(ran), groups(back)
    assert want.keys() == got.keys()
    for key, runtimes in want.items():
        assert len(got[key]) == len(runtimes), key
        for planned, measured in zip(runtimes, got[key]):
            assert abs(planned - measured) < TOLERANCE_S, (key, planned, measured)


STORED = [(r, n) for r in RELEASES for n in ("storm-sacct-P.txt", "storm-sacct.json")
          if dump(r, n).exists()]


@pytest.mark.parametrize("release,name", STORED)
def test_stored_storm_dump_is_the_storm(release, name):
    path = dump(release, name)
    source = SacctSource(path, kind=sniff(path))
    back = list(source)
    assert not source.skipped
    same_workload(storm_workload(), back)


def test_a_storm_is_stored_for_some_release():
    assert STORED


@pytest.mark.podman
@pytest.mark.slurm
@pytest.mark.slow
def test_live_round_trip(tmp_path):
    """make_dumps.py on a fresh 22.05 cluster (brought down after), then the round trip."""
    from workload.testing.require import require
    require("cluster")
    out = tmp_path / "dumps"
    prefix = per_run_name("sacct")        # this test run's own cluster name
    try:
        done = subprocess.run([sys.executable, str(SACCT / "make_dumps.py"), "--out",
                               str(out), "--prefix", prefix, "bookworm"],
                              capture_output=True, text=True, timeout=1500)
    finally:
        # make_dumps downs its cluster itself, but not when the timeout above killed it
        # (SIGKILL skips its `finally`): the clean-clone CI run left sacct-*-bookworm up.
        down(f"{prefix}-bookworm")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    for name in ("storm-sacct-P.txt", "storm-sacct.json"):
        path = Path(out) / "22.05" / name
        same_workload(storm_workload(), list(SacctSource(path, kind=sniff(path))))
