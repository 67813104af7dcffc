"""Run a handful of jobs through the Slurm-mode simulator and read the schedule back."""

from __future__ import annotations

import simpy

from workload.backends.base import ClusterInfo, NodeInfo
from workload.backends.sim.slurm import SlurmEngine
from workload.event import END, START, Event
from workload.slurmconf import SlurmConfig
from workload.spec import JobSpec


def job(seq, submit, procs, runtime, limit=None, **kw) -> JobSpec:
    return JobSpec(seq=seq, submit_s=submit, procs=procs, runtime_s=runtime,
                   time_limit_s=limit if limit is not None else runtime, **kw)


def nodes(count: int, cpus: int, parts: tuple[str, ...] = ("batch",)) -> ClusterInfo:
    return ClusterInfo("t", tuple(NodeInfo(f"n{i}", cpus, 64_000, parts)
                                  for i in range(1, count + 1)), default_partition=parts[0])


# Slurm defaults of 24.11 (multifactor, all weights 0) with starts at once on submit:
# batch_sched_delay=0 so the hand computations need not add Slurm's 3 s.
def conf(release: str = "24.11", **keys: object) -> SlurmConfig:
    c = SlurmConfig(release=release).assign("SchedulerParameters", "batch_sched_delay=0")
    for key, value in keys.items():
        if key == "SchedulerParameters":
            c = c.merged(f"SchedulerParameters={value}")
        else:
            c = c.assign(key, value)
    return c


def simulate(specs, info: ClusterInfo, config: SlurmConfig,
             faults=()) -> list[Event]:
    env, events = simpy.Environment(), []
    engine = SlurmEngine(env, info, config, events.append, epoch=0.0)

    def submitter(spec):
        yield env.timeout(spec.submit_s)
        engine.submit(spec)

    def fault(at, node, up):
        yield env.timeout(at)
        engine.set_node(node, up)

    for spec in specs:
        env.process(submitter(spec))
    for at, node, up in faults:
        env.process(fault(at, node, up))
    env.run()
    return events


def starts(events) -> dict[int, float]:
    return {e.seq: e.time for e in events if e.kind == START}


def ends(events) -> dict[int, tuple[float, str]]:
    return {e.seq: (e.time, e.state) for e in events if e.kind == END}


def first(events, seq: int, kind: str = START) -> Event:
    return next(e for e in events if e.seq == seq and e.kind == kind)
