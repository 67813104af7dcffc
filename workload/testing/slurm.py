"""Real Slurm for tests: a container cluster that runs workloads and returns ``Observed``.

``SlurmUnderTest`` is what the ``slurm_cluster`` fixture yields: ``.run(workload,
faults=...)`` runs on the cluster through the Slurm backend (faults through the Slurm
fault driver) and returns the observed schedule, like ``sim_cluster.run``; ``.cluster``
is the ``workload.cluster.Cluster`` handle (``.slurm([...])``, ``.exec(host, argv)``).
The cluster lives as a ``workload.cluster.session``: every run's jobs are tracked by
their name prefix and those still queued or running are cancelled at its end.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from workload.checks.observed import Observed, load_observed
from workload.cluster.sessions import Session
from workload.fault import Fault
from workload.run.runner import run_source
from workload.rundir import SETTINGS
from workload.sources.base import Source
from workload.spec import JobSpec
from workload.testing.rundirs import new_run_dir

SHAPE = {"nodes": 2, "cpus": 4, "mem_mb": 2048}


class SlurmUnderTest:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.cluster = session.cluster
        self.info = self.cluster.describe()

    def run(self, workload: Source | Iterable[JobSpec], *, out: str | Path | None = None,
            faults: Sequence[Fault] = (), closed_loop: bool = False) -> Observed:
        from workload.backends.select import make_backend
        from workload.testing.observe import as_source

        backend = make_backend("slurm", self.info, cluster=self.cluster.name, faults=faults)
        out = out or new_run_dir("wlgen-slurm-test-")
        result = run_source(as_source(workload), backend, out=out, kind="test-slurm",
                            settings={"policy": "slurm"}, closed_loop=closed_loop)
        self.track(result.run_dir)
        return load_observed(result.run_dir)

    def track(self, run_dir: str | Path) -> None:
        """Count a run made elsewhere (``wlgen run --cluster``) among this session's."""
        from workload.backends.slurm.tags import run_prefix

        run_id = json.loads((Path(run_dir) / SETTINGS).read_text())["run_id"]
        self.session.track_prefix(run_prefix(run_id))

    def cancel_submitted(self) -> list[str]:
        """Cancel every queued or running job of this object's runs; their ids."""
        return self.session.cancel()


def shape_of(markers: Iterable[Mapping[str, Any]], defaults: Mapping[str, Any]
             ) -> dict[str, Any]:
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
def slurm_session(name: str, shape: Mapping[str, Any], suite: str = "bookworm"
                  ) -> Iterator[SlurmUnderTest]:
    """Up (reused when one of that name and shape runs), yield, cancel, down what we made."""
    from workload.cluster import ClusterSpec, session

    spec = ClusterSpec(name=name, nodes=int(shape["nodes"]), cpus=int(shape["cpus"]),
                       mem_mb=int(shape["mem_mb"]), suite=suite,
                       conf_extra=str(shape.get("conf_extra", "")))
    with session(spec) as current:
        yield SlurmUnderTest(current)
