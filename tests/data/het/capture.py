"""Capture what squeue, sacct and slurmrestd show of a heterogeneous job (README.md here).

    python tests/data/het/capture.py CLUSTER OUT_DIR

CLUSTER is a running wlgen container cluster of 2 nodes x 4 CPUs with slurmrestd.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from workload.backends.slurm import make_backend
from workload.backends.slurm.parse import SACCT_ARGV, SQUEUE_ARGV
from workload.cluster import Cluster


def main(name: str, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    cluster = Cluster.running(name)

    def sh(argv: list[str]) -> str:
        return cluster.slurm(["env", "SLURM_TIME_FORMAT=%s", *argv])

    def state() -> str:
        return sh(["squeue", "-h", "-j", het, "-o", "%T"])

    blocker = sh(["sbatch", "--parsable", "-J", "wlgen.cap.0", "-N2", "-n8", "-t1", "-o",
                  "/dev/null", "--mem-per-cpu=100", "--wrap", "sleep 12"]).strip()
    het = sh(["sbatch", "--parsable", "-J", "wlgen.cap.1", "-t1", "-o", "/dev/null", "-n1",
              "--mem-per-cpu=100", ":", "-n2", "-N1", "--mem-per-cpu=200",
              "--wrap", "sleep 8"]).strip()
    rest = make_backend(client="rest", cluster=name).client   # type: ignore[attr-defined]

    def snap(tag: str) -> None:
        text = sh([*SQUEUE_ARGV, "-j", f"{blocker},{het}"])
        (out / f"squeue-{tag}.txt").write_text(text)
        doc = rest._call("GET", rest.api.slurm("jobs"))
        doc["jobs"] = [j for j in doc["jobs"] if str(j.get("name", "")).startswith("wlgen.cap.")]
        (out / f"rest-jobs-{tag}.json").write_text(json.dumps(doc, indent=1, sort_keys=True))

    time.sleep(2)
    snap("pending")
    wait(lambda: "RUNNING" in state())
    snap("running")
    wait(lambda: not any(s in state() for s in ("RUNNING", "PENDING", "COMPLETING")))
    snap("completed")
    wait(lambda: sh([*SACCT_ARGV, "-j", f"{blocker},{het}"]).count("COMPLETED") >= 3)
    (out / "sacct-completed.txt").write_text(sh([*SACCT_ARGV, "-j", f"{blocker},{het}"]))
    (out / "sacct-shapes.txt").write_text(sh(["sacct", "-a", "-X", "-P", "-j", het, "-o",
                                              "JobID,NCPUS,NNodes,NodeList,ReqMem,Start,End,"
                                              "State"]))
    doc = rest._call("GET", rest.api.slurmdb("jobs"), query={"job_name": "wlgen.cap.1"})
    (out / "rest-db-jobs.json").write_text(json.dumps(doc, indent=1, sort_keys=True))
    (out / "version.txt").write_text(sh(["sinfo", "--version"]) + rest.api.version + "\n")
    rest.close()


def wait(done, limit: float = 60) -> None:
    """Poll once a second, at most ``limit`` seconds."""
    end = time.time() + limit
    while not done() and time.time() < end:
        time.sleep(1)
    time.sleep(1)


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
