"""Slurm's job priority in the simulator (priority/multifactor, priority/basic), against
hand-computed orders. sched/builtin keeps backfill out of these cases: the order of
starts is the priority order.

Cluster for most cases: 2 nodes x 4 CPUs (N=2, C=8). J0 holds all 8 CPUs for 10 min;
the jobs queued behind it start at 600 in priority order.
"""

from __future__ import annotations

from tests.sim.helpers import conf, first, job, nodes, simulate, starts
from workload.backends.base import ClusterInfo, NodeInfo
from workload.slurmconf import PartitionConf

BUILTIN = {"SchedulerType": "sched/builtin"}
BUSY = job(0, 0, 8, 600)


def order(**keys):
    # J1: 4 CPUs, 10 min, submitted at 1; J2: 8 CPUs, 100 min limit (runs 10), at 2.
    specs = [BUSY, job(1, 1, 4, 600), job(2, 2, 8, 600, limit=6000)]
    return starts(simulate(specs, nodes(2, 4), conf(**BUILTIN, **keys)))


def test_without_weights_jobs_start_in_submit_order():
    # All factors weigh 0: equal priority, then submit time: J1 at 600, J2 at 1200.
    assert order() == {0: 0, 1: 600, 2: 1200}


def test_job_size_favours_large_jobs():
    # (n/N + c/C)/2: J1 (1/2 + 4/8)/2 = 0.5 -> 500; J2 (1/2 + 8/8)/2 = 0.75 -> 750.
    assert order(PriorityWeightJobSize=1000) == {0: 0, 2: 600, 1: 1200}


def test_priority_favor_small():
    # ((N-n)/N + (C-c)/C)/2: J1 (1/2 + 4/8)/2 = 0.5; J2 (1/2 + 0)/2 = 0.25: J1 first.
    assert order(PriorityWeightJobSize=1000, PriorityFavorSmall="YES") == \
        {0: 0, 1: 600, 2: 1200}


def test_small_relative_to_time():
    # max(n*C/N, c) / limit_min / C: J1 max(4, 4)/10/8 = 0.05; J2 max(4, 8)/100/8 = 0.01:
    # J1 first, although J2 is larger.
    assert order(PriorityWeightJobSize=1000, PriorityFlags="SMALL_RELATIVE_TO_TIME") == \
        {0: 0, 1: 600, 2: 1200}


def test_tres_cpu_weight():
    # CPU share of the cluster: J1 4/8 -> 500, J2 8/8 -> 1000: J2 first.
    assert order(PriorityWeightTRES="CPU=1000") == {0: 0, 2: 600, 1: 1200}


def test_priority_basic_ignores_weights():
    # 22.05's default PriorityType is priority/basic: submit order, weights unused.
    specs = [BUSY, job(1, 1, 4, 600), job(2, 2, 8, 600, limit=6000)]
    events = simulate(specs, nodes(2, 4), conf("22.05", **BUILTIN, PriorityWeightJobSize=1000))
    assert starts(events) == {0: 0, 1: 600, 2: 1200}


def test_age_with_max_age():
    # J0 holds 8 CPUs to 1200. J1 (4 CPUs) at 10, J2 (8 CPUs) at 590. Weights age 1000
    # (PriorityMaxAge 60 min = 3600 s), job size 200. Priorities from the calc at 1200:
    # J1 1000*1190/3600 + 200*0.5 = 330 + 100 = 430; J2 1000*610/3600 + 200*0.75 =
    # 169 + 150 = 319: J1 first (600 s) and J2 at 1800, with the priority of the calc at
    # 1800: 1000*1210/3600 + 150 = 336 + 150 = 486. Without the age weight J2 (150)
    # beats J1 (100).
    specs = [job(0, 0, 8, 1200), job(1, 10, 4, 600), job(2, 590, 8, 600)]
    aged = simulate(specs, nodes(2, 4), conf(**BUILTIN, PriorityWeightAge=1000,
                                             PriorityMaxAge=60, PriorityWeightJobSize=200))
    assert starts(aged) == {0: 0, 1: 1200, 2: 1800}
    assert first(aged, 1).priority == 430 and first(aged, 2).priority == 486
    young = simulate(specs, nodes(2, 4), conf(**BUILTIN, PriorityWeightJobSize=200))
    assert starts(young) == {0: 0, 2: 1200, 1: 1800}


def test_age_capped_at_max_age():
    # Same jobs, PriorityMaxAge=5 (300 s): at 1200 both ages are capped at 1.0, so job
    # size decides: J2 (1000+150) before J1 (1000+100).
    specs = [job(0, 0, 8, 1200), job(1, 10, 4, 600), job(2, 590, 8, 600)]
    events = simulate(specs, nodes(2, 4), conf(**BUILTIN, PriorityWeightAge=1000,
                                               PriorityMaxAge=5, PriorityWeightJobSize=200))
    assert starts(events) == {0: 0, 2: 1200, 1: 1800}


def _two_partitions(tiers=(1, 1), factors=(1, 1)):
    info = ClusterInfo("t", (NodeInfo("n1", 4, 64000, ("low", "high")),), default_partition="low")
    parts = (PartitionConf("low", priority_tier=tiers[0], priority_job_factor=factors[0]),
             PartitionConf("high", priority_tier=tiers[1], priority_job_factor=factors[1]))
    return info, parts


def test_partition_priority_tier_comes_first():
    # Two partitions on the same node. J1 (low, at 1) and J2 (high, at 2) both want the
    # node J0 holds to 600. high's PriorityTier 2 > 1: J2 first at 600, J1 at 1200,
    # whatever the priorities.
    info, parts = _two_partitions(tiers=(1, 2))
    specs = [job(0, 0, 4, 600), job(1, 1, 4, 600), job(2, 2, 4, 600, partition="high")]
    base = conf(**BUILTIN)
    events = simulate(specs, info, type(base)(**{**base.__dict__, "partitions": parts}))
    assert starts(events) == {0: 0, 2: 600, 1: 1200}


def test_partition_job_factor_with_its_weight():
    # Same tier; PriorityJobFactor 1 (low) and 10 (high) over the largest (10):
    # 0.1 * 1000 = 100 for J1 and 1000 for J2: J2 first.
    info, parts = _two_partitions(factors=(1, 10))
    specs = [job(0, 0, 4, 600), job(1, 1, 4, 600), job(2, 2, 4, 600, partition="high")]
    base = conf(**BUILTIN, PriorityWeightPartition=1000)
    events = simulate(specs, info, type(base)(**{**base.__dict__, "partitions": parts}))
    assert starts(events) == {0: 0, 2: 600, 1: 1200}
    assert first(events, 1).priority == 100 and first(events, 2).priority == 1000


def test_no_normal_part_uses_the_raw_job_factor():
    # Factors 1 and 10, weight 100: normalised 0.1*100 = 10 and 1.0*100 = 100; with
    # PriorityFlags=NO_NORMAL_PART the raw factors: 1*100 = 100 and 10*100 = 1000.
    info, parts = _two_partitions(factors=(1, 10))
    specs = [job(0, 0, 4, 600), job(1, 1, 4, 600), job(2, 2, 4, 600, partition="high")]
    for flags, want in (("", (10, 100)), ("NO_NORMAL_PART", (100, 1000))):
        base = conf(**BUILTIN, PriorityWeightPartition=100, PriorityFlags=flags)
        events = simulate(specs, info, type(base)(**{**base.__dict__, "partitions": parts}))
        assert (first(events, 1).priority, first(events, 2).priority) == want


def test_accrue_always_ages_from_submit_not_from_eligibility():
    # J0 (source 10) holds the node 0..1200. J1, submitted at 0, waits for J0
    # (afterok): eligible at 1200. J2 submitted at 600. Age weight 1000 over 60 min.
    # At 1200: by default J1's age is 0 and J2's 600/3600 -> 166: J2 first. With
    # ACCRUE_ALWAYS J1 ages from its submit: 1200/3600 -> 333, so J1 first.
    specs = [job(0, 0, 4, 1200, source_id=10),
             job(1, 0, 4, 600, depends=(("afterok", (10,)),)), job(2, 600, 4, 600)]
    keys = dict(BUILTIN, PriorityWeightAge=1000, PriorityMaxAge=60)
    assert starts(simulate(specs, nodes(1, 4), conf(**keys))) == {0: 0, 2: 1200, 1: 1800}
    always = simulate(specs, nodes(1, 4), conf(**keys, PriorityFlags="ACCRUE_ALWAYS"))
    assert starts(always) == {0: 0, 1: 1200, 2: 1800}
    assert first(always, 1).priority == 333
