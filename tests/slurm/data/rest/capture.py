"""Capture slurmrestd's answers for the REST parser tests from a running wlgen cluster.

    python tests/slurm/data/rest/capture.py CLUSTER
        # CLUSTER: rest1 (22.05), rest2 (24.11), wlx-sid (26.05)

Writes tests/slurm/data/rest/<api version>/*.json, each the body slurmrestd sent (see
README.md for the request behind each file). Jobs are submitted as root, named
wlgen.cap.<n>, and cancelled at the end.
"""

from __future__ import annotations

import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from workload.backends.slurm.restapi import pick_api
from workload.cluster import Cluster

HERE = Path(__file__).parent
ENV = {"PATH": "/usr/bin:/bin"}


def main(name: str) -> None:
    cluster = Cluster.load(name)
    token = cluster.token("root")

    def call(method: str, path: str, body: object = None, query: dict | None = None,
             tok: str = token) -> tuple[int, object]:
        url = cluster.rest_url + path + ("?" + urllib.parse.urlencode(query) if query else "")
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(url, data=data, method=method, headers={
            "X-SLURM-USER-NAME": "root", "X-SLURM-USER-TOKEN": tok,
            "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as reply:
                return reply.status, json.loads(reply.read())
        except urllib.error.HTTPError as error:
            raw = error.read()
            try:
                return error.code, json.loads(raw)
            except ValueError:
                return error.code, raw.decode()

    status, openapi = call("GET", "/openapi/v3")
    api = pick_api(openapi)
    out = HERE / api.version
    out.mkdir(exist_ok=True)

    def save(file: str, answer: tuple[int, object]) -> object:
        (out / file).write_text(json.dumps(answer[1], indent=1) + "\n")
        print(f"{file}: HTTP {answer[0]}")
        return answer[1]

    # The whole document is megabytes: keep its paths, which is what pick_api reads.
    save("openapi-paths.json", (status, {"paths": {p: {} for p in openapi["paths"]}}))
    save("partitions.json", call("GET", api.slurm("partitions")))
    save("nodes.json", call("GET", api.slurm("nodes")))

    def job(n: int, script: str, **extra: object) -> dict:
        props = {"name": f"wlgen.cap.{n}", "tasks": 1, "time_limit": 2,
                 "current_working_directory": "/tmp", "standard_output": "/dev/null",
                 "memory_per_cpu": 64, **extra}
        if api.legacy:
            return {"script": script, "job": {**props, "environment": ENV}}
        return {"job": {**props, "script": script,
                        "environment": [f"{k}={v}" for k, v in ENV.items()]}}

    save("submit.json", call("POST", api.slurm("job/submit"), job(0, "#!/bin/bash\nsleep 1\n")))
    call("POST", api.slurm("job/submit"), job(1, "#!/bin/bash\nexit 3\n"))
    call("POST", api.slurm("job/submit"), job(2, "#!/bin/bash\nkill -9 $$\n"))
    # Four tasks of 4 CPUs on 8 CPUs: two run, two stay pending in one unsplit record.
    array = save("submit-array.json", call("POST", api.slurm("job/submit"),
                                           job(3, "#!/bin/bash\nsleep 60\n", tasks=4,
                                               array="0-3")))
    save("submit-error.json", call("POST", api.slurm("job/submit"),
                                   job(4, "#!/bin/bash\ntrue\n", partition="nosuch")))
    time.sleep(8)
    save("jobs.json", only_capture_jobs(call("GET", api.slurm("jobs"))))
    names = ",".join(f"wlgen.cap.{n}" for n in range(4))   # an earlier capture's too
    save("db-jobs.json", call("GET", api.slurmdb("jobs"), query={"job_name": names}))
    save("cancel.json", call("DELETE", api.job(str(array["job_id"]))))
    save("cancel-missing.json", call("DELETE", api.job("999999")))
    forged = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdW4iOiJyb290In0.AAAA"
    save("auth-failure.json", call("GET", api.slurm("partitions"), tok=forged))


def only_capture_jobs(answer: tuple[int, object]) -> tuple[int, object]:
    """GET jobs lists every job the cluster knows: keep this capture's (wlgen.cap.*)."""
    status, doc = answer
    assert isinstance(doc, dict)
    doc["jobs"] = [j for j in doc["jobs"] if str(j.get("name", "")).startswith("wlgen.cap.")]
    return status, doc


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "wlgen")
