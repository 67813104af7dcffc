"""Heterogeneous jobs in both simulators, against hand-computed schedules.

Slurm starts every component of a heterogeneous job at once or none, and they may share
a node (heterogeneous_jobs.shtml, Limitations and System Administrator Information); only
its backfill scheduler starts them. The job's events carry all components' CPUs and
nodes. Cluster: 2 nodes x 4 CPUs unless a test says otherwise.
"""

from __future__ import annotations

import simpy

from workload.backends.sim.backend import (HET_BACKFILL, HET_BUILTIN, HET_LIMITS,
                                           HET_PARTITION, SimBackend, make_cluster_info)
from workload.event import END, REJECTED, START
from workload.spec import Component

from tests.sim.helpers import conf, ends, job, nodes, simulate, starts

# J0 holds n1 whole (4 CPUs, -N1) for 100 s; J1 is 4 CPUs + a component of 2: 6 in all,
# so it cannot start until J0 ends although its first component fits n2 at once.
BLOCKED = [job(0, 0, 4, 100, nodes=1), job(1, 1, 4, 50, components=(Component(2),))]


def textbook(specs, policy: str = "easy", gpus: int = 0, slurm=None):
    info = make_cluster_info(2, 4, gpus=gpus)
    backend = SimBackend(info, policy, slurm=slurm)
    env, events = simpy.Environment(), []
    backend.attach(env, events.append, 0.0)

    def submitter(spec):
        yield env.timeout(spec.submit_s)
        backend.submit(spec)

    for spec in specs:
        env.process(submitter(spec))
    env.run()
    return events, backend


def test_components_start_and_end_together():
    # FCFS: at 1 only n2's 4 CPUs are free, J1 needs 6: it waits for J0's end at 100,
    # then both components start (4 + 2 CPUs over n1 and n2) and end together at 150.
    events, backend = textbook(BLOCKED, "fcfs")
    assert starts(events) == {0: 0, 1: 100} and ends(events)[1] == (150, "COMPLETED")
    (start,) = [e for e in events if e.seq == 1 and e.kind == START]
    assert start.procs == 6 and set(start.nodes) == {"n1", "n2"}
    assert len([e for e in events if e.seq == 1 and e.kind == END]) == 1
    assert backend.report() == {}      # nothing approximated in textbook mode


def test_easy_reserves_for_all_components():
    # EASY: J1 (head, 6 CPUs) is reserved at 100 (J0's limit) with 8 - 6 = 2 CPUs extra.
    # J2 (2 CPUs, 30 s) fits the extra and ends before 100: backfilled at 2. J3 (4 CPUs,
    # 200 s, at 40) would cross 100 and needs more than 2: it waits. Had the reservation
    # counted J1's first component only (4 CPUs, extra 4), J3 would start at 40. At 100
    # J1 takes 6 of 8, so J3 starts when J1 ends, at 150.
    specs = [*BLOCKED, job(2, 2, 2, 30), job(3, 40, 4, 200)]
    events, _ = textbook(specs)
    assert starts(events) == {0: 0, 2: 2, 1: 100, 3: 150}


def test_components_may_share_a_node():
    # 1 + 2 CPUs: both components on n1 (the first node with room), one node in all.
    events, _ = textbook([job(0, 0, 1, 10, components=(Component(2),))])
    (start,) = [e for e in events if e.kind == START]
    assert start.nodes == ("n1",) and start.procs == 3


def test_a_component_that_can_never_run_rejects_the_job():
    events, _ = textbook([job(0, 0, 1, 10, components=(Component(5, nodes=1),))])
    (end,) = [e for e in events if e.kind == END]
    assert end.state == REJECTED
    assert end.reason.startswith("heterogeneous job component 1: ")


# Each component fits 2 x 4 alone and 7 CPUs <= 8, but the first holds a node whole and
# the second needs 2 CPUs on each of two nodes: never both at once. Both simulators must
# refuse it at submit; waiting for it would never end the run.
JOINT = job(0, 0, 4, 10, nodes=1, components=(Component(3, nodes=2),))
NEVER = "its 2 heterogeneous job components cannot all be placed at once in partition "


def test_components_that_never_fit_together_reject_the_job():
    events, _ = textbook([JOINT, job(1, 1, 2, 10)])
    assert ends(events)[0][1] == REJECTED and ends(events)[1] == (11, "COMPLETED")
    (end,) = [e for e in events if e.seq == 0 and e.kind == END]
    assert end.reason == NEVER + "batch, even idle"


def test_slurm_mode_rejects_components_that_never_fit_together():
    env, events = simpy.Environment(), []
    backend = SimBackend(nodes(2, 4), "slurm", slurm=conf())
    backend.attach(env, events.append, 0.0)
    backend.submit(JOINT)
    env.run(until=5)
    (end,) = [e for e in events if e.kind == END]
    assert end.state == REJECTED and end.reason == NEVER + "batch, even idle"
    # Nothing left behind: an ordinary job then uses the whole cluster.
    backend.submit(job(1, 5, 8, 10))
    env.run(until=100)
    assert ends(events)[1] == (15, "COMPLETED")


def test_gpus_of_every_component_are_given():
    # 1 GPU a node: component 0 asks for 1 on one node, component 1 for 1 on one node:
    # the job holds both nodes' GPUs.
    spec = job(0, 0, 1, 10, nodes=1, gpus=1, components=(Component(1, nodes=1, gpus=1),))
    events, _ = textbook([spec], gpus=1)
    (start,) = [e for e in events if e.kind == START]
    assert sorted(start.gpus) == ["n1:0", "n2:0"]


def test_another_partition_is_named_as_approximated():
    spec = job(0, 0, 1, 10, components=(Component(1, partition="gpu"),))
    _, backend = textbook([spec])
    assert backend.report() == {"sim_approximated": {HET_PARTITION: 1}}


def test_slurm_mode_starts_them_from_backfill_only():
    # J0 ends at 100 and the main loop runs then, but it does not start heterogeneous
    # jobs: the next backfill pass (bf_interval 30: at 120) starts J1, which ends at 170.
    # An ordinary 6-CPU job in its place starts at 100.
    events = simulate(BLOCKED, nodes(2, 4), conf())
    assert starts(events) == {0: 0, 1: 120} and ends(events)[1] == (170, "COMPLETED")
    plain = simulate([BLOCKED[0], job(1, 1, 6, 50)], nodes(2, 4), conf())
    assert starts(plain)[1] == 100
    (start,) = [e for e in events if e.seq == 1 and e.kind == START]
    assert start.procs == 6 and set(start.nodes) == {"n1", "n2"}


def test_slurm_mode_names_what_it_approximates(capsys):
    _, backend = textbook([*BLOCKED, BLOCKED[1].with_(seq=2)], slurm=conf())
    assert backend.report() == {"sim_approximated": {HET_BACKFILL: 2, HET_LIMITS: 2}}
    said = capsys.readouterr().err.splitlines()
    assert said == [f"wlgen: simulator approximates: {reason} (metrics.json "
                    "sim_approximated counts the jobs)" for reason in (HET_BACKFILL, HET_LIMITS)]
    # (each once, not once a job)
    events, backend = textbook(BLOCKED, slurm=conf(SchedulerType="sched/builtin"))
    assert starts(events)[1] == 100    # no backfill: the main loop starts it at J0's end
    assert backend.report() == {"sim_approximated": {HET_BUILTIN: 1, HET_LIMITS: 1}}
