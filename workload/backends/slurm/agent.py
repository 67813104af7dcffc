"""The relay agent: runs INSIDE the controller container, standard library only.

The host starts it once with ``podman exec -i CTLD python3 -u -c <this file>`` and then
writes one JSON request a line: {"id", "argv", "input", "uid", "gid", "timeout"}. Each
request runs as its own process (as that uid/gid when given) on a thread pool, and the
answer {"id", "rc", "out", "err"} comes back as one JSON line, in completion order.
One ``podman exec`` costs ~0.4 s here; a request through the agent costs what the
Slurm command itself costs.
"""

import json
import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

os.environ["SLURM_TIME_FORMAT"] = "%s"   # epoch seconds in every time field
_lock = threading.Lock()


def _answer(reply):
    line = json.dumps(reply) + "\n"
    with _lock:
        sys.stdout.write(line)
        sys.stdout.flush()


def _run(req):
    try:
        done = subprocess.run(req["argv"], input=req.get("input"), capture_output=True,
                              text=True, timeout=req.get("timeout") or 60,
                              user=req.get("uid"), group=req.get("gid"),
                              extra_groups=[] if req.get("uid") is not None else None,
                              cwd="/tmp")
        reply = {"id": req["id"], "rc": done.returncode, "out": done.stdout,
                 "err": done.stderr}
    except subprocess.TimeoutExpired:
        reply = {"id": req["id"], "rc": -1, "out": "", "err": "wlgen agent: timed out"}
    except OSError as error:
        reply = {"id": req["id"], "rc": -2, "out": "", "err": f"wlgen agent: {error}"}
    _answer(reply)


def main(workers):
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for line in sys.stdin:
            if line.strip():
                pool.submit(_run, json.loads(line))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 16)
