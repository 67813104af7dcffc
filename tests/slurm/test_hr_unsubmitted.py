"""A run that stops while a job is held for its parent's Slurm id counts that job as never
submitted (metrics.json's not_submitted, named in accounting.json's not_submitted_seqs),
not as unaccounted: it never reached Slurm."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from workload.backends.slurm.backend import SlurmBackend
from workload.backends.slurm.cli import CliClient
from workload.cluster import wait_for
from workload.run.runner import run_workload
from workload.spec import JobSpec

from tests.slurm.test_depends_seam import CHILD, PARENT, SlowParent
from tests.slurm.test_runner_seam import Scripted


def test_a_child_held_when_the_run_is_interrupted_is_not_submitted(tmp_path: Path) -> None:
    # The run makes its own id: job seq 0 (the parent) is the one named ``*.0``.
    sbatch = SlowParent(lambda argv: any(a.startswith("--job-name=") and a.endswith(".0")
                                         for a in argv))
    backend = SlurmBackend(CliClient(Scripted(sbatch=[sbatch])), cluster_name="fake",
                           workers=2, arrays=False, say=lambda line: None)

    def workload() -> Iterator[JobSpec]:
        yield PARENT
        yield CHILD                   # held: its parent's sbatch has not answered
        assert sbatch.asked.wait(30), "the parent's sbatch never started"
        raise KeyboardInterrupt       # Ctrl-C, as the run's own test of it does

    def answer_as_the_run_closes() -> None:
        wait_for(lambda: backend.closing, 60, "the run to close its backend")
        sbatch.go.set()               # the parent gets its id after the run stopped
    helper = threading.Thread(target=answer_as_the_run_closes, daemon=True)
    helper.start()
    result = run_workload(workload(), backend, out=tmp_path / "run", expected=2,
                          epoch=time.time())
    helper.join(60)
    assert result.outcome.interrupted and len(sbatch.argvs) == 1   # the child never went
    metrics = json.loads((result.run_dir / "metrics.json").read_text())
    accounting = json.loads((result.run_dir / "accounting.json").read_text())
    assert accounting["not_submitted_seqs"] == [CHILD.seq]
    assert accounting["unaccounted_seqs"] == [PARENT.seq]   # sent, never seen to end
    assert metrics["not_submitted"] == 1 and metrics["unaccounted"] == 1
    # Every row is somewhere: submitted (seen), unaccounted (sent) or not submitted.
    assert metrics["submitted"] + metrics["unaccounted"] + metrics["not_submitted"] == 2
