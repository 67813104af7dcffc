"""Fair-share (Fair Tree, classic with dampening, decay) and QOS in the simulator,
against hand computations. sched/builtin: the order of starts is the priority order."""

from __future__ import annotations

from dataclasses import replace

from tests.sim.helpers import conf, ends, first, job, nodes, simulate, starts
from workload.backends.sim.slurm.fairshare import FairShare
from workload.slurmconf import AccountConf, QosConf

ACCOUNTS = (AccountConf("A", 1, ("a",)), AccountConf("B", 1, ("b",)))
# a uses the whole node 0..600; then a's J1 (at 10) and b's J2 (1 min, at 20) wait.
SPECS = [job(0, 0, 4, 600, user="a"), job(1, 10, 4, 600, user="a"),
         job(2, 20, 4, 60, user="b")]


def run(accounts=ACCOUNTS, **keys):
    c = replace(conf(SchedulerType="sched/builtin", **keys), accounts=accounts)
    return simulate(SPECS, nodes(1, 4), c)


def test_fair_tree_puts_the_unused_account_first():
    # Calc at 300: a has used 4 CPUs x 300 s, b nothing. Level LF = S/U: A 0.5/1 = 0.5,
    # B 0.5/0 = inf: B first, b ranks 2/2 = 1.0, a 1/2 = 0.5. Weight 10000: J2 10000,
    # J1 5000 (the calc at 600 still sees b unused): J2 starts at 600, J1 after it, 660.
    events = run(PriorityWeightFairshare=10000)
    assert starts(events) == {0: 0, 2: 600, 1: 660}
    assert first(events, 2).priority == 10000 and first(events, 1).priority == 5000
    # No fair-share weight: submit order.
    assert starts(run()) == {0: 0, 1: 600, 2: 1200}


def test_classic_fair_share_with_dampening():
    # NO_FAIR_TREE: F = 2**(-U/S/damp). At the calc at 600 a has all the usage:
    # U_eff = 1, S = 0.5: F_a = 2**-2 = 0.25 -> 2500; b: U = 0 -> 1.0 -> 10000 (J2
    # first). With FairShareDampeningFactor=2: F_a = 2**-1 = 0.5 -> 5000. (No decay, so
    # the usage is exactly 2400 CPU-s.)
    events = run(PriorityWeightFairshare=10000, PriorityFlags="NO_FAIR_TREE",
                 PriorityDecayHalfLife=0)
    assert starts(events) == {0: 0, 2: 600, 1: 660}
    assert first(events, 1).priority == 2500
    damped = run(PriorityWeightFairshare=10000, PriorityFlags="NO_FAIR_TREE",
                 FairShareDampeningFactor=2, PriorityDecayHalfLife=0)
    assert first(damped, 1).priority == 5000


def test_usage_decays_with_the_half_life():
    # Half-life 10 min (600 s): decay factor d = 1 - ln2/600 per second; 1000 CPU-s of
    # usage, 600 s later, is 1000 * d**600 = 1000 * 0.4998 (~ one half).
    fs = FairShare(ACCOUNTS, half_life_s=600, fair_tree=True, damping=1)
    leaf = fs.leaf("a", None)
    fs.charge(leaf, 1000.0)
    fs.decay_to(600)
    assert 499 < leaf.usage < 501


def test_fair_tree_nested_accounts_and_ties():
    # root -> phys (shares 2) -> {alice, bob}; root -> chem (shares 1) -> carol.
    # Usage: alice 100, bob 0, carol 100. Level 1: phys S=2/3, U=100/200 -> LF 1.33;
    # chem S=1/3, U=1/2 -> 0.67: phys first. In phys: bob LF inf, alice 0.5/1 = 0.5.
    # Order bob, alice, carol: 3/3, 2/3, 1/3. With no usage at all every LF is inf and
    # every user ties at rank 3: all 1.0.
    accounts = (AccountConf("phys", 2, ("alice", "bob")), AccountConf("chem", 1, ("carol",)))
    fs = FairShare(accounts, half_life_s=0, fair_tree=True, damping=1)
    fs.recompute()
    assert [fs.leaf(u, None).fs for u in ("alice", "bob", "carol")] == [1.0, 1.0, 1.0]
    fs.charge(fs.leaf("alice", None), 100)
    fs.charge(fs.leaf("carol", None), 100)
    fs.recompute()
    assert [round(fs.leaf(u, None).fs, 3) for u in ("bob", "alice", "carol")] == \
        [1.0, 0.667, 0.333]


def test_nested_account_parent():
    # physics under science: usage of alice counts for science too.
    accounts = (AccountConf("science", 1), AccountConf("physics", 1, ("alice",), "science"),
                AccountConf("other", 1, ("dave",)))
    fs = FairShare(accounts, half_life_s=0, fair_tree=True, damping=1)
    fs.charge(fs.leaf("alice", None), 50)
    fs.recompute()
    assert fs.accounts["science"].usage == 50
    assert fs.leaf("dave", None).fs == 1.0 and fs.leaf("alice", None).fs == 0.5


QOS_ACCOUNTS = (AccountConf("A", 1, ("a",), qos="high"), AccountConf("B", 1, ("b",)))
QOS = (QosConf("normal"), QosConf("high", priority=100))


def qos_conf(qos=QOS, **keys):
    return replace(conf(SchedulerType="sched/builtin", **keys), accounts=QOS_ACCOUNTS, qos=qos)


def test_qos_priority_weight():
    # b's J1 (at 1) and a's J2 (at 2, QOS high: 100/100 -> 1000) wait for J0: J2 first.
    specs = [job(0, 0, 4, 600, user="b"), job(1, 1, 4, 600, user="b"),
             job(2, 2, 4, 600, user="a")]
    events = simulate(specs, nodes(1, 4), qos_conf(PriorityWeightQOS=1000))
    assert starts(events) == {0: 0, 2: 600, 1: 1200}


ENFORCE = {"AccountingStorageEnforce": "associations,limits,qos"}


def test_max_jobs_per_user_holds_a_users_jobs_not_the_partition():
    # high: MaxJobsPU=1. a's J0 and J1 (1 CPU each) and b's J2 on 4 CPUs. J1 waits
    # (QOSMaxJobsPerUserLimit) until J0 ends at 600, but does not block b's J2 behind it.
    qos = (QosConf("normal"), QosConf("high", max_jobs_pu=1))
    specs = [job(0, 0, 1, 600, user="a"), job(1, 1, 1, 600, user="a"),
             job(2, 2, 1, 600, user="b")]
    events = simulate(specs, nodes(1, 4), qos_conf(qos, **ENFORCE))
    assert starts(events) == {0: 0, 2: 2, 1: 600}
    assert first(events, 1).reason == "QOSMaxJobsPerUserLimit"
    # Without AccountingStorageEnforce Slurm does not apply QOS limits.
    assert starts(simulate(specs, nodes(1, 4), qos_conf(qos)))[1] == 1


def test_grp_tres_cpu_caps_the_qos():
    # high: GrpTRES=cpu=2. a's three 1-CPU jobs: two run, the third waits for one to
    # end (QOSGrpCpuLimit).
    qos = (QosConf("normal"), QosConf("high", grp_cpus=2))
    specs = [job(i, i, 1, 600, user="a") for i in range(3)]
    events = simulate(specs, nodes(1, 4), qos_conf(qos, **ENFORCE))
    assert starts(events) == {0: 0, 1: 1, 2: 600}
    assert first(events, 2).reason == "QOSGrpCpuLimit"


def test_max_submit_and_max_wall_refuse_at_submit():
    # MaxSubmitPU=1: a's second job is refused while the first is queued or running;
    # MaxWall=10 (min): a 20 min limit is refused.
    qos = (QosConf("normal"), QosConf("high", max_submit_pu=1, max_wall_s=600))
    specs = [job(0, 0, 1, 60, user="a"), job(1, 1, 1, 60, user="a"),
             job(2, 100, 1, 60, limit=1200, user="a"), job(3, 101, 1, 60, user="a")]
    events = simulate(specs, nodes(1, 4), qos_conf(qos, **ENFORCE))
    refused = {e.seq: e.reason for e in events if e.kind == "end" and e.state == "REJECTED"}
    assert refused == {1: "QOSMaxSubmitJobPerUserLimit", 2: "QOSMaxWallDurationPerJobLimit"}
    assert ends(events)[3] == (161, "COMPLETED")


def test_a_jobs_own_qos_wins_over_its_accounts():
    # b's account has no QOS (normal, 0); J2 asks for --qos=high itself: 1000, first.
    specs = [job(0, 0, 4, 600, user="b"), job(1, 1, 4, 600, user="b"),
             job(2, 2, 4, 600, user="b", qos="high")]
    events = simulate(specs, nodes(1, 4), qos_conf(PriorityWeightQOS=1000))
    assert starts(events) == {0: 0, 2: 600, 1: 1200}
