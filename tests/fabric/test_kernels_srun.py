"""The jobs/ kernels under `srun --mpi=pmix` on the container cluster, 2-4 ranks.

The batch script is the one wlgen submits
(workload.backends.slurm.script.build_batch_script); rank 0's JSON line is read back from the
job's output file on its batch host.
"""

from __future__ import annotations

import json

import pytest
from .conftest import submit_script, wait_for_end

from workload.backends.slurm.script import build_batch_script
from workload.spec import JobSpec

pytestmark = [pytest.mark.podman, pytest.mark.slurm, pytest.mark.mpi, pytest.mark.slow]
SIZE = 262144
SECONDS = 2.0


def bytes_per_iteration(kernel: str, n: int, size: int) -> int:
    """The documented totals of jobs/network.py, written out independently."""
    return {"allreduce": 2 * (n - 1) * size, "alltoall": n * (n - 1) * size,
            "ring": n * size, "halo": 2 * n * size, "pingpong": 2 * size * (n // 2)}[kernel]


def run_payload(cluster, kernel: str, nodes: int, ranks: int) -> dict:
    spec = JobSpec(seq=0, submit_s=0, procs=ranks, runtime_s=SECONDS, time_limit_s=120,
                   nodes=nodes, payload=kernel, payload_args=("--size", str(SIZE)))
    out = f"/tmp/wlgen-fabtest-{kernel}-%j.out"
    job = submit_script(cluster, build_batch_script(spec), "-N", str(nodes), "-n", str(ranks),
                        "-t", "2", "-o", out)
    fields = wait_for_end(cluster, job, timeout=90)
    path = out.replace("%j", job)
    text = cluster.exec(fields["BatchHost"], ["cat", path]).stdout.decode()
    assert fields["JobState"] == "COMPLETED", (fields, text)
    lines = [line for line in text.splitlines() if line.startswith("{")]
    assert len(lines) == 1, text   # rank 0 only
    return json.loads(lines[0]) | {"nodelist": fields["NodeList"]}


@pytest.mark.parametrize("kernel,nodes,ranks", [("pingpong", 2, 2), ("allreduce", 3, 3),
                                                ("halo", 2, 4)])
def test_kernel_under_srun(fab, kernel, nodes, ranks):
    record = run_payload(fab, kernel, nodes, ranks)
    assert record["kernel"] == kernel and record["ranks"] == ranks
    assert record["iterations"] > 0 and record["exit_code"] == 0
    assert record["bytes_sent"] == record["iterations"] * bytes_per_iteration(kernel, ranks,
                                                                              SIZE)
    # One iteration of overshoot at most, on a 2-core machine shared by every node:
    # the local +-1% holds for the loop, not for a slice of an oversubscribed host.
    per_iteration = record["runtime_s"] / record["iterations"]
    assert SECONDS - 0.05 <= record["runtime_s"] <= SECONDS + max(0.1, 2 * per_iteration)
