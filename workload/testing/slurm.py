"""Real Slurm for tests: a container cluster that runs workloads and returns ``Observed``.

``SlurmUnderTest`` is what the ``slurm_cluster`` fixture yields: ``.run(workload,
faults=...)`` runs on the cluster through the Slurm backend (faults through the Slurm
fault driver) and returns the observed schedule, like ``sim_cluster.run``; ``.cluster``
is the ``workload.cluster.Cluster`` handle (``.slurm([...])``, ``.exec(host, argv)``).
Every run's jobs carry its name prefix; ``cancel_submitted`` cancels those still queued
or running (the fixture calls it at teardown).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from workload.checks.observed import Observed, load_observed
from workload.rundir import SETTINGS
from workload.fault import Fault
from workload.scenario.runner import run_source
from workload.sources.base import Source
from workload.spec import JobSpec

SHAPE = {"nodes": 2, "cpus": 4, "mem_mb": 2048}


class SlurmUnderTest:
    def __init__(self, cluster) -> None:
        self.cluster = cluster
        self.info = cluster.describe()
        self.prefixes: list[str] = []

    def run(self, workload: Source | Iterable[JobSpec], *, out: str | Path | None = None,
            faults: Sequence[Fault] = (), closed_loop: bool = False) -> Observed:
        from workload.backends.select import make_backend
        from workload.backends.slurm.faults import FaultingBackend, SlurmFaults
        from workload.testing.observe import as_source

        backend = make_backend("slurm", self.info, cluster=self.cluster.name)
        if faults:
            backend = FaultingBackend(backend, SlurmFaults(self.cluster, faults))
        out = out or tempfile.mkdtemp(prefix="wlgen-slurm-test-")
        result = run_source(as_source(workload), backend, out=out, kind="test-slurm",
                            settings={"policy": "slurm"}, closed_loop=closed_loop)
        self.track(result.run_dir)
        return load_observed(result.run_dir)

    def track(self, run_dir: str | Path) -> None:
        """Count a run made elsewhere (``wlgen run --cluster``) among this session's."""
        run_id = json.loads((Path(run_dir) / SETTINGS).read_text())["run_id"]
        self.prefixes.append(f"wlgen.{run_id}.")    # workload.backends.slurm.tags

    def cancel_submitted(self) -> list[str]:
        """Cancel every queued or running job of this object's runs; their ids."""
        if not self.prefixes:
            return []
        done = self.cluster.exec("ctld", ["squeue", "--noheader", "--format=%i|%j"],
                                 timeout=60)
        ids = [line.split("|", 1)[0] for line in done.stdout.decode().splitlines()
               if "|" in line and line.split("|", 1)[1].startswith(tuple(self.prefixes))]
        if ids:
            self.cluster.exec("ctld", ["scancel", *ids], timeout=60)
        return ids


def shape_of(markers: Iterable[Mapping[str, object]], defaults: Mapping[str, object]
             ) -> dict[str, object]:
    """One cluster for every test that asks: the largest nodes/cpus/mem_mb any marker
    asks for (each at least the default); ``conf_extra`` must agree where given."""
    shape = dict(defaults)
    confs = set()
    for kwargs in markers:
        unknown = set(kwargs) - {*SHAPE, "conf_extra"}
        if unknown:
            raise ValueError(f"wlgen_slurm: unknown option(s) {sorted(unknown)}; known: "
                             f"{sorted({*SHAPE, 'conf_extra'})}")
        for key in SHAPE:
            if key in kwargs:
                shape[key] = max(int(shape[key]), int(kwargs[key]))
        if "conf_extra" in kwargs:
            confs.add(str(kwargs["conf_extra"]))
    if len(confs) > 1:
        raise ValueError("wlgen_slurm: tests ask for different conf_extra; the session "
                         "has one cluster")
    shape["conf_extra"] = confs.pop() if confs else str(shape.get("conf_extra", ""))
    return shape


@contextmanager
def slurm_session(name: str, shape: Mapping[str, object], suite: str = "bookworm"
                  ) -> Iterator[SlurmUnderTest]:
    """Up (reused when one of that name and shape runs), yield, cancel, down what we made."""
    from workload.cluster import Cluster, ClusterSpec, down, up
    from workload.errors import ClusterError

    spec = ClusterSpec(name=name, nodes=int(shape["nodes"]), cpus=int(shape["cpus"]),
                       mem_mb=int(shape["mem_mb"]), suite=suite,
                       conf_extra=str(shape.get("conf_extra", "")))
    try:
        reused = Cluster.load(name).is_running()
    except (ClusterError, OSError):
        reused = False
    cluster = up(spec, timeout=300)
    under = SlurmUnderTest(cluster)
    try:
        yield under
    finally:
        try:
            under.cancel_submitted()
        finally:
            if not reused:
                down(name)
