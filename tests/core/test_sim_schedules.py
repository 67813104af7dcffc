"""The simulator against schedules computed by hand.

Each case is small enough to check on paper; the comments give the reasoning.
"""

from __future__ import annotations

import simpy
import pytest

from workload.backends.base import ClusterInfo, NodeInfo
from workload.backends.sim.cluster import SimCluster
from workload.event import END, START, Event
from workload.spec import JobSpec


def job(seq, submit, procs, runtime, limit=None, **kw) -> JobSpec:
    return JobSpec(seq=seq, submit_s=submit, procs=procs, runtime_s=runtime,
                   time_limit_s=limit if limit is not None else runtime, **kw)


def cluster(nodes: int, cpus: int, mem: int = 64_000) -> ClusterInfo:
    return ClusterInfo("t", tuple(NodeInfo(f"n{i}", cpus, mem) for i in range(nodes)))


def simulate(specs, info, policy="easy", faults=()):
    """Run specs (submitted at their times) and faults [(time, node, up)]; return events."""
    env, events = simpy.Environment(), []
    sim = SimCluster(env, info, policy, events.append, epoch=0.0)

    def submitter(spec):
        yield env.timeout(spec.submit_s)
        sim.submit(spec)

    def fault(at, node, up):
        yield env.timeout(at)
        sim.set_node(node, up)

    for spec in specs:
        env.process(submitter(spec))
    for at, node, up in faults:
        env.process(fault(at, node, up))
    env.run()
    return events


def starts(events: list[Event]) -> dict[int, float]:
    return {e.seq: e.time for e in events if e.kind == START}


def ends(events: list[Event]) -> dict[int, tuple[float, str]]:
    return {e.seq: (e.time, e.state) for e in events if e.kind == END}


# 4 CPUs. J0 holds 2 until t=10. J1 wants all 4: blocked, reservation at t=10, extra 0.
BLOCKED_HEAD = [job(0, 0, 2, 10), job(1, 1, 4, 10)]


def test_easy_backfills_a_job_that_ends_before_the_reservation():
    # J2 (2 CPUs, limit 5) fits in the 2 free CPUs and ends at 7 <= 10: it backfills.
    events = simulate(BLOCKED_HEAD + [job(2, 2, 2, 5)], cluster(1, 4), "easy")
    assert starts(events) == {0: 0, 2: 2, 1: 10}


def test_fcfs_never_jumps_the_queue():
    events = simulate(BLOCKED_HEAD + [job(2, 2, 2, 5)], cluster(1, 4), "fcfs")
    assert starts(events) == {0: 0, 1: 10, 2: 20}


def test_easy_holds_a_job_that_would_delay_the_reservation():
    # J2 runs 5 s but asks for 20: by its request it ends at 22 > 10, and it needs 2 CPUs
    # while extra is 0, so starting it could delay J1. It waits until J1 is done.
    events = simulate(BLOCKED_HEAD + [job(2, 2, 2, 5, limit=20)], cluster(1, 4), "easy")
    assert starts(events) == {0: 0, 1: 10, 2: 20}


def test_easy_backfills_a_long_job_into_the_extra_cpus():
    # 6 CPUs. J0 holds 4 until 10; J1 wants 4: at t=10 6 are free, so extra = 2.
    # J2 (2 CPUs, limit 100) does not end before 10 but fits in the extra: starts at 2,
    # and J1 still starts on time at 10.
    specs = [job(0, 0, 4, 10), job(1, 1, 4, 10), job(2, 2, 2, 100)]
    events = simulate(specs, cluster(1, 6), "easy")
    assert starts(events) == {0: 0, 2: 2, 1: 10}


def test_extra_cpus_are_used_up_by_the_first_long_backfill():
    # As above, plus J3 (2 CPUs, limit 100) at t=3: extra is now 0 and the 2 free CPUs
    # are the ones J1 needs at 10, so J3 must wait until J1 ends at 20.
    specs = [job(0, 0, 4, 10), job(1, 1, 4, 10), job(2, 2, 2, 100), job(3, 3, 2, 100)]
    events = simulate(specs, cluster(1, 8 - 2), "easy")
    assert starts(events) == {0: 0, 2: 2, 1: 10, 3: 20}


def test_reservation_moves_up_when_a_job_ends_before_its_limit():
    # J0 asks for 10 but runs 5: J1 starts at 5, not at the reserved 10.
    events = simulate([job(0, 0, 2, 5, limit=10), job(1, 1, 4, 10)], cluster(1, 4))
    assert starts(events) == {0: 0, 1: 5}


def test_a_job_is_killed_at_its_time_limit():
    events = simulate([job(0, 0, 1, 50, limit=30)], cluster(1, 1))
    assert ends(events) == {0: (30, "TIMEOUT")}


def test_a_job_that_never_fits_is_rejected_and_accounted_for():
    events = simulate([job(0, 0, 5, 10)], cluster(1, 4))
    (end,) = [e for e in events if e.kind == END]
    assert end.state == "REJECTED" and "5 CPUs requested" in end.reason
    assert [e.kind for e in events] == ["submit", "end"]


def test_node_failure_fails_its_jobs_and_the_node_returns():
    # 2 nodes x 2 CPUs. J0 (2 CPUs) runs on one node; that node goes down at 10: J0 ends
    # NODE_FAIL. J1 wants all 4 CPUs: it waits until the node is back at 20.
    info = cluster(2, 2)
    events = simulate([job(0, 0, 2, 100), job(1, 1, 4, 10)], info, faults=[])
    node = next(e.nodes[0] for e in events if e.kind == START and e.seq == 0)
    events = simulate([job(0, 0, 2, 100), job(1, 1, 4, 10)], info,
                      faults=[(10, node, False), (20, node, True)])
    assert ends(events)[0] == (10, "NODE_FAIL")
    assert starts(events)[1] == 20


def test_jobs_on_other_nodes_survive_a_node_failure():
    events = simulate([job(0, 0, 1, 100), job(1, 0, 1, 100)], cluster(2, 1),
                      faults=[(10, "n0", False)])
    assert sorted(state for _, state in ends(events).values()) == ["COMPLETED", "NODE_FAIL"]


def test_pinned_node_count_needs_cores_on_each_node():
    # 2 nodes x 4 CPUs. J0 (3 CPUs, 1 node) leaves 1 + 4 free. J1 wants 2 nodes x 2 CPUs:
    # 5 CPUs are free but not 2 on each node, so J1 waits for J0.
    events = simulate([job(0, 0, 3, 10, nodes=1), job(1, 1, 4, 10, nodes=2)], cluster(2, 4))
    assert starts(events) == {0: 0, 1: 10}
    (start,) = [e for e in events if e.kind == START and e.seq == 1]
    assert len(set(start.nodes)) == 2


def test_memory_limits_cores_per_node():
    # Nodes have 1000 MB; 600 MB per CPU allows one CPU per node: a 2-task job spreads
    # over both nodes, a 3-task job can never run.
    events = simulate([job(0, 0, 2, 10, mem_per_cpu_mb=600),
                       job(1, 0, 3, 10, mem_per_cpu_mb=600)], cluster(2, 4, mem=1000))
    (start,) = [e for e in events if e.kind == START]
    assert start.seq == 0 and len(set(start.nodes)) == 2
    assert ends(events)[1][1] == "REJECTED"


def test_cancel_pending_and_running():
    env, events = simpy.Environment(), []
    sim = SimCluster(env, cluster(1, 1), "easy", events.append, epoch=100.0)
    sim.submit(job(0, 0, 1, 50))
    sim.submit(job(1, 0, 1, 50))

    def cancel_later():
        yield env.timeout(5)
        sim.cancel([0, 1])
    env.process(cancel_later())
    env.run()
    assert ends(events) == {0: (105.0, "CANCELLED"), 1: (105.0, "CANCELLED")}
    assert 1 not in starts(events)


def test_unknown_policy_is_an_input_error():
    from workload.errors import InputError
    with pytest.raises(InputError, match="--policy"):
        SimCluster(simpy.Environment(), cluster(1, 1), "sjf", print, 0.0)
