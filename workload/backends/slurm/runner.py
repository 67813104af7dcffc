"""How Slurm client commands reach the cluster.

``LocalRunner`` runs them on this host (a real login node: the environment's Slurm and
SLURM_CONF). ``RelayRunner`` runs them inside a wlgen container cluster's controller
through one long-lived agent process (agent.py), because a ``podman exec`` per command
costs ~0.4 s here while sbatch itself costs ~10 ms.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

from workload.backends.slurm.parse import TIME_ENV

AGENT = Path(__file__).with_name("agent.py")


class RunnerLost(OSError):
    """The command's fate is unknown (the relay died or the call timed out)."""


@dataclass(frozen=True, slots=True)
class Done:
    rc: int
    out: str
    err: str


class Runner:
    """Runs one Slurm client command and returns what it printed."""

    def run(self, argv: Sequence[str], *, input: str | None = None,
            user: tuple[int, int] | None = None, timeout: float = 60) -> Done:
        raise NotImplementedError

    #: How many users ``warm`` is worth calling for.
    warm_users = 0

    def warm(self, user: tuple[int, int]) -> None:
        """Make the first command as ``user`` as fast as the next (before the clock starts)."""

    def close(self) -> None:
        """Release processes; the runner may not be used afterwards."""


class LocalRunner(Runner):
    """Slurm clients on this host; ``user`` (uid, gid) needs root."""

    def __init__(self) -> None:
        self.env = {**os.environ, **TIME_ENV}

    def run(self, argv: Sequence[str], *, input: str | None = None,
            user: tuple[int, int] | None = None, timeout: float = 60) -> Done:
        uid, gid = user if user else (None, None)
        try:
            done = subprocess.run(list(argv), input=input, capture_output=True, text=True,
                                  timeout=timeout, env=self.env, user=uid, group=gid,
                                  extra_groups=[] if uid is not None else None, check=False)
        except subprocess.TimeoutExpired:
            raise RunnerLost(f"{argv[0]} timed out after {timeout:g} s") from None
        return Done(done.returncode, done.stdout, done.stderr)


class RelayRunner(Runner):
    """Slurm clients inside a container through agent.py, restarted when it dies."""

    #: The agent keeps this many per-user agents (each ~30 ms to start; see agent.py).
    warm_users = 16

    def __init__(self, exec_argv: Sequence[str], env: dict[str, str], workers: int = 16) -> None:
        self.exec_argv, self.env, self.workers = list(exec_argv), env, workers
        self.lock = threading.Lock()
        self.ids = itertools.count()
        self.pending: dict[int, Future[Done]] = {}
        self.proc: subprocess.Popen[str] | None = None
        self.closed = False

    def _start(self) -> subprocess.Popen[str]:
        argv = [*self.exec_argv, "python3", "-u", "-c", AGENT.read_text(), str(self.workers),
                str(self.warm_users)]
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True, env=self.env,
                                bufsize=1)
        threading.Thread(target=self._read, args=(proc,), daemon=True,
                         name="wlgen-relay-reader").start()
        return proc

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            reply = json.loads(line)
            with self.lock:
                future = self.pending.pop(reply["id"], None)
            if future is not None:
                future.set_result(Done(reply["rc"], reply["out"], reply["err"]))
        self._lost(proc)

    def _lost(self, proc: subprocess.Popen[str]) -> None:
        """The agent ended (container restarted?): fail what it still owed."""
        with self.lock:
            if self.proc is proc:
                self.proc = None
            owed, self.pending = self.pending, {}
        for future in owed.values():
            future.set_exception(RunnerLost("the relay into the cluster ended mid-command"))
        proc.wait()

    def run(self, argv: Sequence[str], *, input: str | None = None,
            user: tuple[int, int] | None = None, timeout: float = 60) -> Done:
        future: Future[Done] = Future()
        uid, gid = user if user else (None, None)
        with self.lock:
            if self.closed:
                raise RunnerLost("the relay is closed")
            if self.proc is None or self.proc.poll() is not None:
                self.proc = self._start()
            key = next(self.ids)
            self.pending[key] = future
            request = json.dumps({"id": key, "argv": list(argv), "input": input, "uid": uid,
                                  "gid": gid, "timeout": timeout})
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.write(request + "\n")
                self.proc.stdin.flush()
            except OSError:
                self.pending.pop(key, None)
                raise RunnerLost("the relay into the cluster is gone") from None
        try:
            return future.result(timeout=timeout + 10)
        except TimeoutError:
            raise RunnerLost(f"{argv[0]} got no answer in {timeout + 10:g} s") from None

    def warm(self, user: tuple[int, int]) -> None:
        try:
            self.run(["true"], user=user, timeout=30)   # starts the agent of that user
        except RunnerLost:
            pass   # only slower: the first real command starts it (or fails, and says why)

    def close(self) -> None:
        with self.lock:
            self.closed, proc = True, self.proc
        if proc is not None and proc.poll() is None:
            assert proc.stdin is not None
            proc.stdin.close()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
