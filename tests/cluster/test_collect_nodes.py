"""The nodes layer against stored real files of this host's node containers
(tests/data/nodes, made from a 2-node bookworm cluster running one busy-loop job on n1:
cgroup v1 files read twice 2 s apart, /proc/<pid>/cgroup, podman 4.3's inspect and stats)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from workload.cluster.collect.nodes import (
    NodeReader, Usage, cpu_percent, go_duration_ns, has_v1, node_metrics, parse_inspect,
    parse_podman_stats, parse_proc_cgroup, read_v1, size_bytes)
from workload.errors import ClusterError

DATA = Path(__file__).parents[1] / "data" / "nodes"
BUSY = DATA / "cgroup-v1-busy"
CGROUP = "/libpod_parent/libpod-acc166b853ea270b0be625e68fe29d638659c2d68894c1369b504c4eb029fe11"
FILES = {"cpuacct": ("cpuacct.usage",), "memory": ("memory.usage_in_bytes", "memory.stat"),
         "pids": ("pids.current",)}


def cgroup_tree(root: Path, sample: str) -> Path:
    """A cgroup v1 tree under ``root`` holding n1's stored files of ``sample`` (t1, t2)."""
    for controller, names in FILES.items():
        where = root / controller / CGROUP.lstrip("/")
        where.mkdir(parents=True, exist_ok=True)
        for name in names:
            shutil.copy(BUSY / sample / name, where / name)
    return root


def test_inspect_gives_each_container_its_main_pid():
    assert parse_inspect((DATA / "inspect-name-pid.txt").read_text()) == {
        "c17b-n1": 1881, "c17b-n2": 2146}
    assert parse_inspect("/c-n1 0\n/c-n2 42\n") == {"c-n2": 42}   # docker's "/", stopped


def test_proc_cgroup_names_every_v1_controller_and_the_unified_path():
    paths = parse_proc_cgroup((DATA / "proc-pid-cgroup-v1.txt").read_text())
    assert paths["cpuacct"] == paths["memory"] == paths["pids"] == paths[""] == CGROUP
    assert paths["name=systemd"] == CGROUP


def test_v1_files_read_as_cpu_memory_and_pids(tmp_path):
    root = cgroup_tree(tmp_path, "t1")
    paths = parse_proc_cgroup((DATA / "proc-pid-cgroup-v1.txt").read_text())
    assert has_v1(paths, root)
    usage = read_v1(paths, root)
    stat = dict(row.split() for row in (BUSY / "t1" / "memory.stat").read_text().splitlines())
    used = int((BUSY / "t1" / "memory.usage_in_bytes").read_text())
    assert usage == Usage(float((BUSY / "t1" / "cpuacct.usage").read_text()),
                          float(used - int(stat["total_inactive_file"])),
                          int((BUSY / "t1" / "pids.current").read_text()))
    assert 0 < usage.mem_bytes < used


def test_a_busy_node_reads_as_a_busy_cpu():
    """The busy loop (one core, on a shared 2-core host) between the two stored samples."""
    seconds = float((BUSY / "t2" / "time").read_text()) - float((BUSY / "t1" / "time").read_text())
    ns = [float((BUSY / t / "cpuacct.usage").read_text()) for t in ("t1", "t2")]
    pct = cpu_percent(Usage(ns[0], 0, 0), Usage(ns[1], 0, 0), seconds)
    assert pct == pytest.approx((ns[1] - ns[0]) / seconds / 1e7)
    assert 20 < pct <= 100


def test_podman_stats_json():
    stats = parse_podman_stats((DATA / "podman-stats-4.3.json").read_text())
    assert set(stats) == {"c17b-n1", "c17b-n2"}
    assert stats["c17b-n1"] == Usage(3.248633745e9, 5.431e6, 13)


@pytest.mark.parametrize("text,ns", [("332.064181ms", 332.064181e6), ("3.2s", 3.2e9),
                                     ("1m2.5s", 62.5e9), ("850µs", 850e3), ("0s", 0)])
def test_go_durations(text, ns):
    assert go_duration_ns(text) == pytest.approx(ns)


def test_sizes_and_bad_inputs():
    assert (size_bytes("25.28GB"), size_bytes("0B"), size_bytes("2KiB")) == (25.28e9, 0, 2048)
    for bad, parse in (("3 parsecs", size_bytes), ("12", go_duration_ns),
                       ("1s junk", go_duration_ns)):
        with pytest.raises(ValueError):
            parse(bad)


def test_reader_reads_cgroup_files_and_relocates_a_restarted_node(tmp_path):
    """inspect (the Runner seam, answering like podman) -> /proc/<pid>/cgroup -> files."""
    root = cgroup_tree(tmp_path / "cg", "t1")
    proc = tmp_path / "proc"
    for pid in (1881, 2146):
        (proc / str(pid)).mkdir(parents=True)
        (proc / str(pid) / "cgroup").write_text((DATA / "proc-pid-cgroup-v1.txt").read_text())
    calls: list[list[str]] = []
    answers = iter([(DATA / "inspect-name-pid.txt").read_text(), "c17b-n1 1881\nc17b-n2 0\n"])

    def run(argv):
        calls.append(list(argv))
        return next(answers)

    reader = NodeReader("podman", {"n1": "c17b-n1", "n2": "c17b-n2"}, run, root, proc)
    got = reader.read()
    assert set(got) == {"n1", "n2"} and calls[0][:2] == ["podman", "inspect"]
    shutil.rmtree(root / "pids")   # both "restarted": their old cgroup is gone
    # n2 is now stopped (pid 0), n1's files are still gone: nothing to read, no crash
    assert reader.read() == {}
    assert len(calls) == 2 and set(reader.paths) == {"n1"}


def test_reader_falls_back_to_podman_stats_without_v1_files(tmp_path):
    proc = tmp_path / "proc"
    (proc / "7").mkdir(parents=True)
    (proc / "7" / "cgroup").write_text("0::/machine/libpod-x\n")   # a cgroup v2 host
    answers = {"inspect": "c17b-n1 7\n",
               "stats": (DATA / "podman-stats-4.3.json").read_text()}
    reader = NodeReader("podman", {"n1": "c17b-n1"}, lambda argv: answers[argv[1]],
                        tmp_path / "cg", proc)
    assert reader.read() == {"n1": Usage(3.248633745e9, 5.431e6, 13)}
    with pytest.raises(ClusterError, match="cgroup v1 files or podman"):
        NodeReader("docker", {"n1": "/c17b-n1"}, lambda argv: answers[argv[1]],
                   tmp_path / "cg", proc).read()


def test_node_metrics_rate_needs_two_samples():
    before = {"n1": Usage(1e9, 0, 1)}
    after = {"n1": Usage(1.5e9, 2**21, 4), "n2": Usage(9e9, 2**20, 2)}
    assert node_metrics(before, after, 2.0) == {
        "node.n1.cpu_percent": 25.0, "node.n1.mem_used_mb": 2.0, "node.n1.pids": 4.0,
        "node.n2.mem_used_mb": 1.0, "node.n2.pids": 2.0}
