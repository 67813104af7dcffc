"""The order a scheduler's queue held jobs in, as far as the observed schedule tells it.

Textbook runs and Slurm with priority/basic queue by submit time (then Slurm's job id,
then seq). Slurm's priority/multifactor queues by priority, but start events carry each
job's priority only at its own start, and two of its parts move with time:

- age (``PriorityWeightAge * min(wait, PriorityMaxAge) / PriorityMaxAge``) is known, so
  it is taken out: what is left, the *static* part, plus the age at any common instant
  orders two waiting jobs (earlier submit = more age);
- fair-share moves with every user's usage and is seen only at starts. With a fair-share
  weight, jobs of one user share their fair-share at every instant, so they are ordered
  by age alone *if* no static weight (job size, partition, QOS, assoc, TRES) is set;
  across users the order at an instant is unknown.

Slurm truncates priorities to integers, so a static part recovered from a start
priority is exact only when it is a whole number; waits beyond PriorityMaxAge are not
modelled here (age is capped there).

All jobs compared here are in one partition, so Slurm's first key, the partition's
PriorityTier, is equal for them; ties go to submit time, then job id.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from workload.checks.observed import Observed
from workload.checks.semantics import start_priorities


@dataclass(frozen=True)
class QueueOrder:
    key: dict[int, float]      # seq -> queue rank (higher first); all 0: submit order
    per_user: bool             # the order is known only among one user's jobs
    note: str


def queue_order(obs: Observed) -> QueueOrder | str:
    """How to order the jobs, or why they cannot be ordered soundly (a reason)."""
    sem = obs.semantics
    if not (sem.slurm and sem.multifactor):
        return QueueOrder({}, False, "queue order = submit time")
    if sem.w_fairshare and sem.w_static:
        return ("fair-share and static priority weights both set: a job's priority at "
                "another job's start is unknown")
    if sem.w_fairshare:
        return QueueOrder({}, True, "queue order = submit time within a user (fair-share "
                                    "moves users' priorities; age orders one user's jobs)")
    if not sem.w_static:
        return QueueOrder({}, False, "queue order = submit time (age is the only priority "
                                     "factor: earlier submit, higher priority)")
    prio = start_priorities(obs.events)
    started = [j for j in obs.jobs if j.start is not None]
    if any(j.seq not in prio for j in started):
        return "start events carry no priority: multifactor order unknown"
    rate = sem.w_age / sem.max_age_s
    key = {}
    for job in started:
        assert job.start is not None   # started, by the filter above
        age = sem.w_age * min(job.start - job.submit, sem.max_age_s) / sem.max_age_s
        # Slurm truncates the sum to an integer, so the static part is in
        # [P - age, P - age + 1): the ceiling is exact when it is a whole number.
        key[job.seq] = math.ceil(prio[job.seq] - age - 1e-9) - rate * job.submit
    return QueueOrder(key, False, "queue order = priority (static part + age), then "
                                  "submit time")
