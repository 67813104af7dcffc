"""Capture what Slurm says about the GPUs it gave running jobs, for the GPU index parsers.

    .venv/bin/python tests/slurm/data/gpu/capture.py CLUSTER
        # a cluster of 2 nodes x 2 GPUs: wlgen cluster up --name h1gpu-sid --slurm sid
        #   --nodes 2 --cpus 4 --mem 2048 --gpus 2   (bookworm 22.05, trixie 24.11, sid 26.05)

As root it submits, named wlgen.gpucap.<n>: a 1-GPU job, a 2-GPU job, a job without
GPUs and an array 0-3 of 1-GPU tasks (sleep 60: two tasks run, the others wait), waits
until the first three run, then saves into tests/slurm/data/gpu/<release>/:
``rest-jobs.json`` (GET /slurm/VER/jobs, the watcher's REST query), ``squeue.txt`` (the
CLI watcher's SQUEUE_ARGV), ``squeue.json`` (``squeue --json``) and ``scontrol-d.txt``
(``scontrol show job -d``), all filtered to these jobs; then cancels them.
"""

from __future__ import annotations

import json
import sys
import time
import urllib.request
from pathlib import Path

from workload.backends.slurm.parse import SQUEUE_ARGV, TIME_ENV, parse_version
from workload.backends.slurm.restapi import pick_api
from workload.cluster import Cluster

HERE = Path(__file__).parent
NAME = "wlgen.gpucap"
JOBS = [["--gpus=1"], ["--gpus=2"], [], ["--gpus=1", "--array=0-3"]]


def main(name: str) -> None:
    cluster = Cluster.load(name)
    release = parse_version(cluster.slurm(["sinfo", "--version"])) or "unknown"
    out = HERE / ".".join(release.split(".")[:2])
    out.mkdir(exist_ok=True)
    ids = [cluster.slurm(["sbatch", "--parsable", *extra, "-n1", f"--job-name={NAME}.{i}",
                          "--output=/dev/null", "--wrap", "sleep 60"]).strip()
           for i, extra in enumerate(JOBS)]
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            running = cluster.slurm(["squeue", "--noheader", "-t", "R", "-o", "%i"]).split()
            if set(ids[:3]) <= set(running):
                break
            time.sleep(1)
        time.sleep(1)
        token = cluster.token("root")
        with urllib.request.urlopen(urllib.request.Request(
                cluster.rest_url + "/openapi/v3", headers=_auth(token)), timeout=30) as r:
            api = pick_api(json.loads(r.read()))
        with urllib.request.urlopen(urllib.request.Request(
                cluster.rest_url + api.slurm("jobs"), headers=_auth(token)), timeout=30) as r:
            doc = json.loads(r.read())
        doc["jobs"] = [j for j in doc["jobs"] if str(j.get("name", "")).startswith(NAME)]
        (out / "rest-jobs.json").write_text(json.dumps(doc, indent=1) + "\n")
        env = ["env", *(f"{k}={v}" for k, v in TIME_ENV.items())]
        squeue = cluster.exec("ctld", [*env, *SQUEUE_ARGV], check=True).stdout.decode()
        (out / "squeue.txt").write_text("".join(line + "\n" for line in squeue.splitlines()
                                                if line.rstrip().endswith(tuple(
                                                    f"{NAME}.{i}" for i in range(9)))))
        sq = json.loads(cluster.exec("ctld", [*env, "squeue", "--json"],
                                     check=True).stdout.decode())
        sq["jobs"] = [j for j in sq["jobs"] if str(j.get("name", "")).startswith(NAME)]
        (out / "squeue.json").write_text(json.dumps(sq, indent=1) + "\n")
        text = cluster.exec("ctld", ["scontrol", "show", "job", "-d"],
                            check=True).stdout.decode()
        records = [r for r in text.split("\n\n") if f"JobName={NAME}" in r]
        (out / "scontrol-d.txt").write_text("\n\n".join(records).strip() + "\n")
        print(f"{out}: {', '.join(p.name for p in sorted(out.iterdir()))}")
    finally:
        cluster.exec("ctld", ["scancel", *ids])


def _auth(token: str) -> dict[str, str]:
    return {"X-SLURM-USER-NAME": "root", "X-SLURM-USER-TOKEN": token}


if __name__ == "__main__":
    main(sys.argv[1])
