"""The relay agent: runs INSIDE the controller container, standard library only.

The host starts it once with ``podman exec -i CTLD python3 -u -c <this file>`` and then
writes one JSON request a line: {"id", "argv", "input", "uid", "gid", "timeout"}. Each
request runs as its own process on a thread pool, and the answer {"id", "rc", "out",
"err"} comes back as one JSON line, in completion order. One ``podman exec`` costs
~0.4 s here; a request through the agent costs what the Slurm command itself costs.

A request for a uid goes to a copy of this agent running as that user (started on
first use, the most recently used ``max_users`` kept): a process that changes uid cannot be
started with vfork, and forking this process cost ~1 ms more per sbatch than the
user's own agent spends passing the request on.
"""

import collections
import json
import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

os.environ["SLURM_TIME_FORMAT"] = "%s"   # epoch seconds in every time field
_lock = threading.Lock()


def _answer(line):
    with _lock:
        sys.stdout.write(line)
        sys.stdout.flush()


def _run(req):
    try:
        done = subprocess.run(req["argv"], input=req.get("input"), capture_output=True,
                              text=True, timeout=req.get("timeout") or 60, cwd="/tmp")
        reply = {"id": req["id"], "rc": done.returncode, "out": done.stdout,
                 "err": done.stderr}
        _answer(json.dumps(reply) + "\n")
    except subprocess.TimeoutExpired:
        _answer(_failed(req, "wlgen agent: timed out", rc=-1))
    except OSError as error:
        _answer(_failed(req, f"wlgen agent: {error}"))


def _failed(req, why, rc=-2):
    return json.dumps({"id": req["id"], "rc": rc, "out": "", "err": why}) + "\n"


class UserAgents:
    """This agent again, once per (uid, gid), least recently used ones closed."""

    def __init__(self, workers, max_users):
        self.workers, self.max_users = workers, max_users
        self.agents = collections.OrderedDict()   # (uid, gid) -> Popen
        self.closed = set()                       # closed on purpose: their EOF is no loss
        self.relays = []
        self.lock = threading.Lock()
        # Started as ``python3 -u -c SOURCE``: the source is only in our own command line.
        with open("/proc/self/cmdline", "rb") as cmdline:
            args = [os.fsdecode(arg) for arg in cmdline.read().split(b"\0")]
        self.argv = [sys.executable, *args[1:4]]

    def forward(self, req, line):
        """Pass ``line`` (the request ``req``) on to the agent of its user."""
        ids = (req["uid"], req["gid"] if req.get("gid") is not None else req["uid"])
        with self.lock:
            try:
                proc = self.agents.pop(ids, None) or self._start(*ids)
            except OSError as error:
                _answer(_failed(req, f"wlgen agent: {error}"))
                return
            self.agents[ids] = proc
            proc.stdin.write(line)
            proc.stdin.flush()
            while len(self.agents) > self.max_users:
                self._close(self.agents.popitem(last=False)[1])

    def _start(self, uid, gid):
        proc = subprocess.Popen([*self.argv, str(self.workers), "0"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True, cwd="/tmp", user=uid,
                                group=gid, extra_groups=[])
        relay = threading.Thread(target=self._relay, args=(proc,), daemon=True)
        relay.start()
        self.relays = [*(r for r in self.relays if r.is_alive()), relay]
        return proc

    def _relay(self, proc):
        for line in proc.stdout:
            _answer(line)
        with self.lock:
            expected = proc in self.closed
            self.closed.discard(proc)
        if not expected:
            # Its requests' fate is unknown: end the whole relay, so that the host
            # treats every open request as lost and looks each job up by its tag.
            os._exit(3)

    def _close(self, proc):
        self.closed.add(proc)
        proc.stdin.close()   # it finishes what it was given, answers, and exits

    def close_all(self):
        with self.lock:
            procs = list(self.agents.values())
            for proc in procs:
                self._close(proc)
        for relay in self.relays:
            relay.join()   # every answer passed on before this agent exits


def main(workers, max_users):
    users = UserAgents(workers, max_users)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for line in sys.stdin:
            if not line.strip():
                continue
            req = json.loads(line)
            uid = req.get("uid")
            if uid is None or uid == os.getuid():   # a user's agent runs all it gets
                pool.submit(_run, req)
            elif max_users:
                users.forward(req, line)
            else:
                _answer(_failed(req, f"wlgen agent: runs as {os.getuid()}, not {uid}"))
    users.close_all()


if __name__ == "__main__":
    main(*(int(arg) for arg in (sys.argv[1:] or ["16", "16"])))
