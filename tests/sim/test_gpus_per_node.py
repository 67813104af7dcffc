"""GPUs asked per node (JobSpec.gpus_per_node, sbatch --gpus-per-node) in both
simulators, hand-computed: 2 nodes x 4 CPUs x 2 GPUs."""

from __future__ import annotations

import simpy

from workload.backends.sim.backend import SimBackend, make_cluster_info
from workload.event import END, REJECTED, START
from workload.spec import JobSpec

from tests.sim.helpers import conf

# J0 holds GPU n1:0 for 100 s; J1 wants 2 GPUs over 2 nodes. Job-wide, the most free
# node gives both (n2:0, n2:1); per node, each node gives one (n2:0 and n1:1).
HOLD = JobSpec(seq=0, submit_s=0, procs=1, runtime_s=100, time_limit_s=100, nodes=1, gpus=1)
PAIR = JobSpec(seq=1, submit_s=0, procs=2, runtime_s=10, time_limit_s=60, nodes=2, gpus=2)


def run(specs, slurm=None):
    backend = SimBackend(make_cluster_info(2, 4, gpus=2), "easy", slurm=slurm)
    env, events = simpy.Environment(), []
    backend.attach(env, events.append, 0.0)
    for spec in specs:
        backend.submit(spec)
    env.run()
    return events


def gpus_of(events, seq: int) -> tuple[str, ...]:
    (start,) = [e for e in events if e.seq == seq and e.kind == START]
    return start.gpus


def test_per_node_gpus_come_one_from_each_node():
    assert gpus_of(run([HOLD, PAIR]), 1) == ("n2:0", "n2:1")
    assert sorted(gpus_of(run([HOLD, PAIR.with_(gpus_per_node=True)]), 1)) == ["n1:1", "n2:0"]
    slurm = run([HOLD, PAIR.with_(gpus_per_node=True)], slurm=conf())
    assert sorted(gpus_of(slurm, 1)) == ["n1:1", "n2:0"]


def test_per_node_gpus_wait_for_every_node_to_have_them():
    # 4 GPUs, 2 a node: n1 has 1 free until J0 ends at 100, so J1 starts at 100.
    events = run([HOLD, PAIR.with_(gpus=4, gpus_per_node=True)])
    (start,) = [e for e in events if e.seq == 1 and e.kind == START]
    assert start.time == 100 and sorted(start.gpus) == ["n1:0", "n1:1", "n2:0", "n2:1"]


def test_more_per_node_than_a_node_has_is_rejected():
    events = run([PAIR.with_(gpus=6, gpus_per_node=True)])     # 3 a node, nodes have 2
    (end,) = [e for e in events if e.kind == END]
    assert end.state == REJECTED and "3 GPUs on each of 2 nodes" in end.reason
