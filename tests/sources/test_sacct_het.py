"""Heterogeneous jobs in the stored dumps (`13+0`, `13+1`): one job of its components,
every row accounted for; and their components in wlgen's own job format."""

from __future__ import annotations

import json

import pytest
from workload.errors import InputError
from workload.sources.jsonl import JsonlSource, write_jsonl
from workload.sources.sacct import SacctSource, sniff
from workload.sources.sacct.het import HET_COMPONENT, NO_FIRST
from workload.spec import Component

from tests.sources.conftest import MIXED, dump


@pytest.mark.parametrize("release,name", MIXED)
def test_het_rows_become_one_job_of_two_components(release, name):
    path = dump(release, name)
    source = SacctSource(path, kind=sniff(path), use_memory=True)
    (het,) = [spec for spec in source if spec.name == "het"]
    # mixed_workload.sh: `#SBATCH -n1`, `#SBATCH hetjob`, `#SBATCH -n2`; 512 MB a CPU each
    assert (het.procs, het.mem_per_cpu_mb, het.partition) == (1, 512, "batch")
    assert het.components == (Component(2, None, 512, 0, None, None),)   # the job's partition
    assert het.total_procs == 3 and het.runtime_s == 2.0
    assert source.skipped[HET_COMPONENT] == 1 and not source.skipped[NO_FIRST]


def test_a_component_without_its_first_row_is_counted(tmp_path):
    lines = dump("24.11", "sacct-P-allocations.txt").read_text().splitlines(keepends=True)
    cut = tmp_path / "cut.txt"
    cut.write_text("".join(line for line in lines if not line.startswith("17+0|")))
    source = SacctSource(cut, kind="sacct")
    specs = list(source)
    assert not [s for s in specs if s.name == "het"]
    assert source.skipped[NO_FIRST] == 1 and not source.skipped[HET_COMPONENT]
    assert len(specs) + sum(source.skipped.values()) == source.rows


def test_jsonl_keeps_components(tmp_path):
    (het,) = [s for s in SacctSource(dump("26.05", "sacct.json"), kind="sacct-json")
              if s.components]
    path = tmp_path / "jobs.jsonl"
    write_jsonl(path, [het])
    line = json.loads(path.read_text().splitlines()[1])
    assert line["components"] == [{"procs": 2, "nodes": None, "mem_per_cpu_mb": None,
                                   "gpus": 0, "gpu_type": None, "partition": None}]
    assert list(JsonlSource(path)) == [het]


@pytest.mark.parametrize("bad", [[{"nodes": 1}], [{"procs": 0}], [{"procs": 1, "cpus": 2}],
                                 {"procs": 1}, [{"procs": "2"}]])
def test_jsonl_refuses_a_bad_component(tmp_path, bad):
    path = tmp_path / "jobs.jsonl"
    job = {"seq": 0, "submit_s": 0, "procs": 1, "runtime_s": 1, "time_limit_s": 60,
           "components": bad}
    path.write_text(json.dumps({"format": "wlgen-jobs", "version": 1}) + "\n"
                    + json.dumps(job) + "\n")
    with pytest.raises(InputError) as err:
        list(JsonlSource(path))
    assert err.value.field == "components" and err.value.line == 2


def test_resizing_to_a_cluster_resizes_every_component():
    from workload.sources.transforms import scale_procs
    from workload.spec import JobSpec
    spec = JobSpec(seq=0, submit_s=0, procs=2, runtime_s=1, time_limit_s=60,
                   components=(Component(4, nodes=2),))
    # 8 processors -> 16: twice the tasks; --whole-nodes pins ceil(8 / 4) nodes
    (plain,) = scale_procs([spec], from_procs=8, to_procs=16, cpus_per_node=4)
    assert (plain.procs, plain.components) == (4, (Component(8),))
    (whole,) = scale_procs([spec], from_procs=8, to_procs=16, cpus_per_node=4,
                           whole_nodes=True)
    assert (whole.nodes, whole.components) == (1, (Component(8, nodes=2),))


def test_a_component_in_its_own_partition_is_mapped_like_the_job(tmp_path):
    from workload.sources.accounting import AccountingSource
    lines = dump("24.11", "sacct-P-allocations.txt").read_text().splitlines(keepends=True)
    moved = tmp_path / "moved.txt"   # component 1 of the het job in partition "gpu"
    moved.write_text("".join(line.replace("|het|bob|bob|wlgen|batch|", "|het|bob|bob|wlgen|gpu|")
                             if line.startswith("17+1|") else line for line in lines))
    inner = SacctSource(moved, kind="sacct")
    (het,) = [s for s in inner if s.components]
    assert het.components[0].partition == "gpu" and het.partition == "batch"
    source = AccountingSource(inner, partition_map={"gpu": "long"})
    source.fit_partitions(["batch", "long"])
    (het,) = [s for s in source if s.components]
    assert het.components[0].partition == "long"
    source = AccountingSource(SacctSource(moved, kind="sacct"))
    source.fit_partitions(["batch"])
    (het,) = [s for s in source if s.components]
    assert het.components[0].partition is None      # the job's own, counted
    assert source.unknown["heterogeneous job component's partition not on the cluster: "
                          "the job's used"] == 1
