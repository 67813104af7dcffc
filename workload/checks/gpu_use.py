"""No GPU given to two jobs at once, none beyond what a node has (part of no_overcommit).

Where start events name the GPUs (``node:index``, the simulator), each GPU is followed
exactly: held by one attempt at a time, on one of the attempt's nodes, with an index the
node has, as many as the job asked for. Where they do not (a backend that only knows
counts), the requests' GPU counts are checked like CPUs: the fewest a job can hold on
each node, ``max(0, gpus - GPUs of its other nodes)``, summed per node.
"""

from __future__ import annotations

from collections import defaultdict

from workload.backends.base import ClusterInfo
from workload.checks.attempts import Attempt
from workload.checks.result import Verdict
from workload.spec import JobSpec


def check_gpus(runs: list[Attempt], cluster: ClusterInfo, requests: dict[int, JobSpec],
               tol: float, verdict: Verdict) -> str | None:
    """Add GPU violations to ``verdict``; a note for the result, None if no GPUs at all."""
    gpus = {n.name: n.gpus for n in cluster.nodes}
    asked = {seq: spec.gpus for seq, spec in requests.items() if spec.gpus}
    if not any(gpus.values()) and not asked and not any(a.gpus for a in runs):
        return None
    for a in runs:
        _check_job(a, gpus, asked.get(a.seq), verdict)
    _sweep(runs, gpus, asked, tol, verdict)
    return "GPUs checked"


def _check_job(a: Attempt, gpus: dict[str, int], asked: int | None, verdict: Verdict) -> None:
    for gpu in a.gpus:
        node, _, index = gpu.rpartition(":")
        if node not in a.nodes or not index.isdigit() or int(index) >= gpus.get(node, 0):
            verdict.fail(seq=a.seq, job_id=a.job_id, start=a.start,
                         problem=f"GPU {gpu} is not a GPU of the job's nodes")
    if a.gpus and len(set(a.gpus)) != len(a.gpus):
        verdict.fail(seq=a.seq, job_id=a.job_id, start=a.start,
                     problem=f"the same GPU twice in {','.join(a.gpus)}")
    if a.gpus and asked is not None and len(a.gpus) != asked:
        verdict.fail(seq=a.seq, job_id=a.job_id, start=a.start,
                     problem=f"given {len(a.gpus)} GPUs, asked for {asked}")
    if asked and sum(gpus.get(n, 0) for n in a.nodes) < asked:
        verdict.fail(seq=a.seq, job_id=a.job_id, start=a.start,
                     problem=f"{asked} GPUs on nodes {','.join(a.nodes)}")


def _shares(a: Attempt, gpus: dict[str, int], asked: int) -> dict[str, int]:
    total = sum(gpus.get(n, 0) for n in a.nodes)
    return {n: max(0, asked - (total - gpus.get(n, 0))) for n in a.nodes}


def _sweep(runs: list[Attempt], gpus: dict[str, int], asked: dict[int, int], tol: float,
           verdict: Verdict) -> None:
    points = sorted([(a.stop - tol, 0, i) for i, a in enumerate(runs)] +
                    [(a.start, 1, i) for i, a in enumerate(runs)])
    holder: dict[str, int] = {}                  # GPU -> seq holding it
    used: dict[str, int] = defaultdict(int)      # node -> GPUs held (lower bound)
    for _, starting, i in points:
        a = runs[i]
        held = {g.rpartition(":")[0]: 0 for g in a.gpus}
        for g in a.gpus:
            held[g.rpartition(":")[0]] += 1
        shares = held if a.gpus else _shares(a, gpus, asked.get(a.seq, 0))
        for node, count in shares.items():
            used[node] += count if starting else -count
        if not starting:
            for g in a.gpus:
                if holder.get(g) == a.seq:
                    del holder[g]
            continue
        for g in a.gpus:
            if g in holder and holder[g] != a.seq:
                verdict.fail(seq=a.seq, job_id=a.job_id, time=a.start, gpu=g,
                             problem=f"GPU {g} also held by job {holder[g]}")
            holder[g] = a.seq
        for node in shares:
            if used[node] > gpus.get(node, 0):
                verdict.fail(seq=a.seq, job_id=a.job_id, time=a.start, node=node,
                             problem=f"at least {used[node]} GPUs of {gpus.get(node, 0)}")
