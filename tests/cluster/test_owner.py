"""Who owns a cluster, and which clusters are leftovers of dead sessions (no cluster up)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from workload.cluster import owner


@pytest.fixture
def state_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("WLGEN_STATE_DIR", str(tmp_path))
    return tmp_path


def dead_owner() -> dict:
    """A real process that has ended: its owner record, as the process wrote it."""
    done = subprocess.run([sys.executable, "-c", "import json; from workload.cluster import "
                           "owner; print(json.dumps(owner.me()))"],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def write_owner(state_dir: Path, name: str, record: dict) -> None:
    (state_dir / name).mkdir()
    (state_dir / name / owner.OWNER_FILE).write_text(json.dumps(record))


def test_this_process_is_alive_and_an_ended_one_is_gone() -> None:
    assert not owner.gone(owner.me())
    assert owner.gone(dead_owner())


def test_a_reused_pid_is_not_its_old_owner() -> None:
    mine = owner.me()
    assert owner.gone({**mine, "start": int(mine["start"]) - 1})


def test_an_owner_in_another_pid_namespace_or_boot_is_never_judged_gone() -> None:
    record = dead_owner()
    assert not owner.gone({**record, "pidns": -1})
    assert not owner.gone({**record, "boot": "another-boot"})


def test_stale_lists_only_clusters_of_dead_owners(state_dir: Path) -> None:
    write_owner(state_dir, "wlgen-dead", dead_owner())
    write_owner(state_dir, "wlgen-alive", owner.me())
    (state_dir / "wlgen-by-hand").mkdir()                      # `wlgen cluster up`: no owner
    assert owner.stale() == ["wlgen-dead"]


def test_claim_and_release(state_dir: Path) -> None:
    owner.claim("wlgen-x")
    assert owner.owner_of("wlgen-x") == owner.me()
    owner.release("wlgen-x")
    assert owner.owner_of("wlgen-x") is None and owner.stale() == []
