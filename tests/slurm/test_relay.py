"""The relay into the controller (runner.RelayRunner + agent.py) in a real container:
commands run as the users asked for, through per-user agents that come and go."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from workload.backends.slurm.runner import RelayRunner, RunnerLost
from workload.cluster import Cluster, wait_for

pytestmark = [pytest.mark.podman, pytest.mark.slurm, pytest.mark.root]

USERS = ["r1", "r2", "r3", "r4"]


@pytest.fixture
def relay(cluster: Cluster) -> Iterator[RelayRunner]:
    runner = RelayRunner(cluster.exec_argv("ctld", [], interactive=True), cluster.exec_env())
    runner.warm_users = 2   # fewer user agents than users: some are closed and restarted
    yield runner
    runner.close()


def uid_of(relay: RelayRunner, ids: tuple[int, int] | None) -> int:
    done = relay.run(["id", "-u"], user=ids, timeout=30)
    assert done.rc == 0, done.err
    return int(done.out)


def test_each_command_runs_as_its_user_with_more_users_than_agents(
        cluster: Cluster, relay: RelayRunner) -> None:
    uids = cluster.add_users(USERS)
    for _ in range(3):   # round robin over 4 users with 2 agents kept: every call evicts
        for name in USERS:
            assert uid_of(relay, (uids[name], uids[name])) == uids[name]
    assert uid_of(relay, None) == 0
    groups = relay.run(["id", "-G"], user=(uids["r1"], uids["r1"]), timeout=30).out.split()
    assert groups == [str(uids["r1"])]   # root's supplementary groups are not inherited


def test_a_user_agent_that_dies_fails_what_it_owed_and_the_next_call_works(
        cluster: Cluster, relay: RelayRunner) -> None:
    uid = cluster.add_users(["r1"])["r1"]
    relay.warm((uid, uid))
    outcome: list[BaseException | str] = []

    def sleeper() -> None:
        try:
            outcome.append(relay.run(["sleep", "30"], user=(uid, uid), timeout=60).out)
        except RunnerLost as error:
            outcome.append(error)
    thread = threading.Thread(target=sleeper)
    thread.start()
    wait_for(lambda: cluster.exec("ctld", ["pgrep", "-u", str(uid), "-x", "sleep"],
                                  check=False).returncode == 0, 30, "the sleep as r1")
    cluster.exec("ctld", ["pkill", "-KILL", "-u", str(uid), "-f", "python3 -u -c"])
    thread.join(30)
    assert len(outcome) == 1 and isinstance(outcome[0], RunnerLost)   # never a false answer
    assert uid_of(relay, (uid, uid)) == uid
