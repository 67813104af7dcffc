"""The container cluster's GPU configuration (issue 16), rendered purely; the same files
brought real 22.05, 24.11 and 26.05 clusters up with idle 2-GPU nodes
(tests/slurm/test_gpu_storm.py)."""

from __future__ import annotations

import pytest

from workload.cluster.config import ClusterSpec, render_gres_conf, render_slurm_conf
from workload.cluster.files import write_files
from workload.errors import ClusterError


def test_gpus_reach_slurm_conf_and_gres_conf():
    spec = ClusterSpec(name="g", nodes=2, gpus=2, gpu_type="a100")
    conf = render_slurm_conf(spec).splitlines()
    assert "GresTypes=gpu" in conf and "AccountingStorageTRES=gres/gpu,gres/gpu:a100" in conf
    untyped = render_slurm_conf(ClusterSpec(name="g", gpus=2)).splitlines()
    assert "AccountingStorageTRES=gres/gpu" in untyped
    default = next(line for line in conf if line.startswith("NodeName=DEFAULT"))
    assert default.endswith(" Gres=gpu:a100:2")
    assert conf.index("GresTypes=gpu") < conf.index(default)
    gres = render_gres_conf(spec).splitlines()
    assert "AutoDetect=off" in gres and "Name=gpu Type=a100 File=/dev/nvidia[0-1]" in gres
    assert "Name=gpu File=/dev/nvidia0" in render_gres_conf(ClusterSpec(name="g", gpus=1))


def test_no_gpus_no_gres_anywhere(tmp_path):
    spec = ClusterSpec(name="g", nodes=2)
    assert "Gres" not in render_slurm_conf(spec) and "gres/gpu" not in render_slurm_conf(spec)
    write_files(spec, tmp_path)
    assert not (tmp_path / "etc" / "gres.conf").exists()
    assert not (tmp_path / "etc" / "gpus").exists()


def test_the_files_the_nodes_mount(tmp_path):
    write_files(ClusterSpec(name="g", nodes=2, gpus=3), tmp_path)
    assert (tmp_path / "etc" / "gpus").read_text() == "3\n"   # entrypoint: mknod x3
    assert "File=/dev/nvidia[0-2]" in (tmp_path / "etc" / "gres.conf").read_text()


@pytest.mark.parametrize("gpus, gpu_type", [(-1, ""), (65, ""), (0, "a100")])
def test_bad_gpu_shapes_are_refused(gpus, gpu_type):
    with pytest.raises(ClusterError, match="--gpus"):
        ClusterSpec(name="g", gpus=gpus, gpu_type=gpu_type)
