"""No node over-committed: CPUs always, memory when the requests state it, GPUs when
the cluster or the requests have them (checks/gpu_use.py).

Events name a job's nodes but not how its CPUs are split among them, so the check
works with what must be true of any split:

* a job needs at least ``procs`` CPUs on its nodes in total (and each node of a job
  holds at least one of its tasks);
* on each node, a job holds at least ``max(1, procs - CPUs of its other nodes)``; the
  sum of these lower bounds over the jobs on a node never exceeds the node's CPUs
  (exact for single-node jobs, the common case);
* in each partition, the CPUs of running jobs never exceed the partition's.

Memory (``mem_per_cpu_mb`` in the requests) is checked the same way, per node, from
the same CPU lower bounds. Ends are applied before starts at the same instant, and a
start within ``tolerance_s`` of an end on the same node counts as after it (Slurm's
timestamps are whole seconds).
"""

from __future__ import annotations

from collections import defaultdict

from workload.checks.attempts import Attempt, attempts
from workload.checks.gpu_use import check_gpus
from workload.checks.observed import Observed
from workload.checks.result import CheckResult, Verdict, not_applicable

NAME = "no_overcommit"


def _shares(attempt: Attempt, cpus: dict[str, int]) -> dict[str, int]:
    """The fewest CPUs the attempt can hold on each of its nodes."""
    total = sum(cpus.get(n, 0) for n in attempt.nodes)
    return {n: max(1, attempt.procs - (total - cpus.get(n, 0))) for n in attempt.nodes}


def check_no_overcommit(obs: Observed, *, tolerance_s: float = 0.0) -> CheckResult:
    cpus = {n.name: n.cpus for n in obs.cluster.nodes}
    mem = {n.name: n.mem_mb for n in obs.cluster.nodes}
    part_cpus: dict[str, int] = defaultdict(int)
    for node in obs.cluster.nodes:
        for part in node.partitions:
            part_cpus[part] += node.cpus
    runs = [a for a in attempts(obs.events) if a.nodes or a.procs]
    if not runs:
        return not_applicable(NAME, "no job ran")
    verdict = Verdict(NAME)
    _check_each_job(runs, cpus, verdict)
    mem_per_cpu = {seq: spec.mem_per_cpu_mb or 0 for seq, spec in obs.requests.items()}
    _sweep(runs, cpus, mem, mem_per_cpu, part_cpus, tolerance_s, verdict)
    note = "memory checked" if any(mem_per_cpu.values()) else "memory not requested"
    gpu_note = check_gpus(runs, obs.cluster, obs.requests, tolerance_s, verdict)
    return verdict.result(f"{note}, {gpu_note}" if gpu_note else note)


def _check_each_job(runs: list[Attempt], cpus: dict[str, int], verdict: Verdict) -> None:
    for a in runs:
        verdict.count()
        unknown = [n for n in a.nodes if n not in cpus]
        if unknown:
            verdict.fail(seq=a.seq, job_id=a.job_id, start=a.start,
                         problem=f"ran on nodes not in the cluster: {','.join(unknown)}")
        elif a.nodes and (sum(cpus[n] for n in a.nodes) < a.procs or len(a.nodes) > a.procs):
            verdict.fail(seq=a.seq, job_id=a.job_id, start=a.start,
                         problem=f"{a.procs} tasks on nodes {','.join(a.nodes)}")


def _sweep(runs: list[Attempt], cpus: dict[str, int], mem: dict[str, int],
           mem_per_cpu: dict[int, int], part_cpus: dict[str, int], tol: float,
           verdict: Verdict) -> None:
    # (time, 0 = stop / 1 = start, attempt): stops first at equal (tolerated) times.
    points = [(a.stop - tol, 0, i) for i, a in enumerate(runs)]
    points += [(a.start, 1, i) for i, a in enumerate(runs)]
    points.sort()
    used: dict[str, int] = defaultdict(int)
    used_mem: dict[str, int] = defaultdict(int)
    part_used: dict[str, int] = defaultdict(int)
    on_node: dict[str, set[int]] = defaultdict(set)
    for _, starting, i in points:
        a = runs[i]
        sign = 1 if starting else -1
        shares = _shares(a, cpus)
        for node, share in shares.items():
            used[node] += sign * share
            used_mem[node] += sign * share * mem_per_cpu.get(a.seq, 0)
            (on_node[node].add if starting else on_node[node].discard)(i)
        part_used[a.partition] += sign * a.procs
        if starting:
            _at_start(a, shares, used, used_mem, cpus, mem, part_used, part_cpus, on_node,
                      runs, verdict)


def _at_start(a: Attempt, shares: dict[str, int], used, used_mem, cpus, mem, part_used,
              part_cpus, on_node, runs: list[Attempt], verdict: Verdict) -> None:
    for node in shares:
        over_cpu = used[node] > cpus.get(node, 0)
        over_mem = used_mem[node] > mem.get(node, 0)
        if over_cpu or over_mem:
            others = sorted(runs[j].seq for j in on_node[node] if runs[j].seq != a.seq)
            verdict.fail(seq=a.seq, job_id=a.job_id, time=a.start, node=node,
                         problem=(f"at least {used[node]} CPUs of {cpus.get(node, 0)}"
                                  if over_cpu else
                                  f"at least {used_mem[node]} MB of {mem.get(node, 0)}"),
                         sharing_with=others[:10])
    capacity = part_cpus.get(a.partition)
    if capacity is not None and part_used[a.partition] > capacity:
        verdict.fail(seq=a.seq, job_id=a.job_id, time=a.start, partition=a.partition,
                     problem=f"{part_used[a.partition]} CPUs running of {capacity}")
