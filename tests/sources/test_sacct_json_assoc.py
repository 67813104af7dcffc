"""sacct --json shapes, strict and lenient; sacctmgr association and QOS dumps."""

from __future__ import annotations

import json

import pytest

from workload.errors import InputError
from workload.sources.sacct import SacctSource, load_assoc, load_qos
from workload.sources.sacct.json import number

from tests.sources.conftest import RELEASES, dump


@pytest.mark.parametrize("value,expected", [(5, 5.0), ({"set": True, "infinite": False,
                                                          "number": 7}, 7.0),
                                             ({"set": False, "number": 0}, None),
                                             ({"set": True, "infinite": True}, None)])
def test_numbers_of_both_shapes(value, expected):
    assert number(value) == expected


@pytest.mark.parametrize("release", RELEASES)
def test_json_data_parser_version_is_what_the_readme_says(release):
    plugin = json.loads(dump(release, "sacct.json").read_text())["meta"]["plugin"]
    parser = plugin.get("data_parser") or plugin["type"]     # 22.05: openapi/dbv0.0.38
    assert parser.endswith({"22.05": "v0.0.38", "24.11": "v0.0.42", "26.05": "v0.0.45"}[release])


def test_a_bad_json_job_is_strict_then_counted(tmp_path):
    data = json.loads(dump("26.05", "sacct.json").read_text())
    data["jobs"][1]["time"]["elapsed"] = "long"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match=r"bad.json:2: field jobs=None: job 2: must be a "
                                         r"number"):
        SacctSource(path, kind="sacct-json")
    lenient = SacctSource(path, kind="sacct-json", strict=False)
    jobs = list(lenient)
    assert lenient.skipped["malformed jobs"] == 1
    assert len(jobs) + sum(lenient.skipped.values()) == lenient.rows


def test_json_without_jobs_is_refused(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('{"jobs": 3}')
    with pytest.raises(InputError, match='x.json:1: field jobs=None: a sacct --json dump must'):
        SacctSource(path, kind="sacct-json")


@pytest.mark.parametrize("release", RELEASES)
def test_associations(release):
    rows = load_assoc(str(dump(release, "sacctmgr-assoc.txt")))
    accounts = {a.account: a for a in rows if a.user is None}
    assert accounts["physics"].share == 30 and accounts["wlgen"].share == 10
    assert accounts["physics"].parent == "root" and accounts["root"].parent is None
    alice = [a for a in rows if a.user == "alice"]
    assert {a.account for a in alice} == {"physics", "wlgen"}
    assert all("high" in a.qos for a in alice)


@pytest.mark.parametrize("release", RELEASES)
def test_qos(release):
    by_name = {q.name: q for q in load_qos(str(dump(release, "sacctmgr-qos.txt")))}
    assert by_name["high"].priority == 100 and by_name["high"].max_wall_s == 3600
    assert by_name["normal"].priority == 0 and by_name["normal"].max_wall_s is None


def test_bad_association_row_names_line_and_field(tmp_path):
    lines = dump("24.11", "sacctmgr-assoc.txt").read_text().splitlines()
    head = lines[0].split("|")
    cells = lines[3].split("|")
    cells[head.index("Share")] = "lots"
    path = tmp_path / "assoc.txt"
    path.write_text("\n".join([lines[0], lines[1], lines[2], "|".join(cells)]) + "\n")
    with pytest.raises(InputError, match=r"assoc.txt:4: field Share='lots': must be a whole"):
        load_assoc(str(path))


def test_a_job_dump_is_not_an_association_dump():
    with pytest.raises(InputError, match=r"sacct-P-steps.txt:1: field header=None: header "
                                         r"lacks Account, User, Share|lacks Share"):
        load_assoc(str(dump("24.11", "sacct-P-steps.txt")))


def test_what_a_slurm_replay_creates_from_the_dumps():
    from workload.sources.accounting import AccountingSource
    from workload.sources.anonymize import Anonymizer
    from workload.cluster.qos import qos_settings
    inner = SacctSource(dump("26.05", "sacct-P-allocations.txt"), kind="sacct")
    source = AccountingSource(inner, accounts=str(dump("26.05", "sacctmgr-assoc.txt")),
                              qos=str(dump("26.05", "sacctmgr-qos.txt")))
    assert source.account_tree() == {"physics": (30, ["alice"]),
                                     "wlgen": (10, ["alice", "bob"])}
    assert ("alice", "physics", ["high", "normal"]) in source.user_qos()
    high = next(q for q in source.qos if q.name == "high")
    assert qos_settings(high.priority, high.max_wall_s) == ["Priority=100", "MaxWall=60"]
    hidden = AccountingSource(SacctSource(dump("26.05", "sacct-P-allocations.txt"),
                                          kind="sacct"), anonymizer=Anonymizer(5),
                              accounts=str(dump("26.05", "sacctmgr-assoc.txt")))
    jobs = list(hidden)
    assert set(hidden.account_tree()) == {j.account for j in jobs}    # the same pseudonyms
    assert {u for _, users in hidden.account_tree().values() for u in users} == {
        j.user for j in jobs}
