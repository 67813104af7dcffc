"""`wlgen check` judges the dependencies of a sacct replay (SubmitLine's --dependency
kinds), not only SWF's field 17: the stored real dumps of each release, replayed on the
simulator, have their afterok/afterany/afternotok/singleton jobs checked and passing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "data" / "sacct"


@pytest.mark.parametrize("release", ["22.05", "24.11", "26.05"])
def test_a_sacct_replays_dependencies_are_checked(wlgen, tmp_path, release):
    run = tmp_path / "run"
    done = wlgen("replay", str(DATA / release / "sacct-P-allocations.txt"), "--nodes", "2",
                 "--cpus", "4", "--out", str(run), "--json")
    assert done.exit_code == 0, done.output
    checked = wlgen("check", str(run), "--invariant", "dependencies", "--json")
    result = json.loads(checked.stdout)["checks"][0]
    assert checked.exit_code == 0 and result["status"] == "pass", result
    assert result["checked"] >= 4    # the dump's after-ok, after-any, after-notok, single
