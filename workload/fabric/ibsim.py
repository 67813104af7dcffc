"""An InfiniBand management view of the fabric: ibsim + opensm, so that the standard tools
(ibnetdiscover, ibstat, iblinkinfo, perfquery) see the simulated fabric.

How: ibsim (Debian ibsim-utils) simulates the fabric of :mod:`workload.fabric.ibnet`'s
topology file; opensm and the tools run with ``LD_PRELOAD=libumad2sim.so``, which turns
their umad calls into messages to ibsim over abstract unix sockets named after
``IBSIM_SOCKNAME`` (one name per simulator, so several run side by side and nothing is
left on disk). opensm attaches to the root switch (``SIM_HOST``); tools without
``SIM_HOST`` attach to the first node of the file, the same switch.

ibsim's counters only count management packets; its console command
``PerformanceSet "nodeid"[port] PortCounters.PortXmitData=N`` sets them, which is how the
links' counters are mirrored (:func:`ibnet.counter_commands`). Values read back are the
mirrored value plus the management traffic since (each perfquery is a few MADs: tens of
words). A node unplugged is ``Unlink``-ed (its switch port goes Down/Polling, the HCA
leaves ibnetdiscover's output), and ``ReLink``-ed when plugged back.

The console is ibsim's stdin, owned by the :class:`Sim` that started it (for a cluster,
the mirror daemon of :mod:`workload.fabric.ibmirror`); its output is read by a thread
that counts prompts (so :meth:`Sim.send` returns once ibsim has run every line) and logs
all but the "has been set" confirmations, so the log stays small at any mirror rate.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Self, cast

from workload.cluster import wait_for
from workload.errors import ClusterError
from workload.fabric.ibnet import IbFabric, render

BINARIES = ("ibsim", "opensm")
TOOLS = ("ibnetdiscover", "perfquery", "ibstat")       # infiniband-diags
_UMAD2SIM = ("/usr/lib/*/umad2sim/libumad2sim.so", "/usr/lib*/umad2sim/libumad2sim.so")
_PROMPT = b"sim> "
SETUP = ".ci/setup.d/45-fabric.sh"


def umad2sim() -> str | None:
    """The preload library of ibsim (libumad2sim0), or None when not installed."""
    found = sorted(p for pattern in _UMAD2SIM for p in glob.glob(pattern))
    return found[0] if found else None


def missing() -> str | None:
    """Why the IB view cannot run here, or None when it can."""
    for tool in (*BINARIES, *TOOLS):
        if shutil.which(tool) is None:
            return (f"{tool} is not installed (apt-get install ibsim-utils opensm "
                    f"infiniband-diags; {SETUP} does it)")
    if umad2sim() is None:
        return f"libumad2sim.so is not installed (apt-get install ibsim-utils; {SETUP})"
    return None


def client_env(sockname: str) -> dict[str, str]:
    """What a tool needs in its environment to see the simulator ``sockname``."""
    lib = umad2sim()
    if lib is None:
        raise ClusterError(missing() or "libumad2sim.so is not installed")
    return {"LD_PRELOAD": lib, "IBSIM_SOCKNAME": sockname}


def run_tool(sockname: str, argv: Sequence[str], timeout: float = 30) -> str:
    """Run an infiniband-diags tool against the simulator; its stdout (stderr on failure).

    libumad2sim reports where it attached on stderr ("attached as client N"): not an
    error, so stderr is only quoted when the tool fails."""
    env = {**os.environ, **client_env(sockname)}
    env.pop("SIM_HOST", None)
    try:
        done = subprocess.run(list(argv), env=env, capture_output=True, text=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired as err:
        raise ClusterError(f"`{' '.join(argv)}` did not answer in {timeout:g} s: is the "
                           f"simulator {sockname} running?") from err
    if done.returncode != 0:
        raise ClusterError(f"`{' '.join(argv)}` failed (exit {done.returncode}): "
                           f"{done.stderr.strip()[-500:]}")
    return done.stdout


class _Console:
    """ibsim's stdin and a thread reading its stdout: prompts counted, output logged."""

    def __init__(self, process: subprocess.Popen, log: Path) -> None:
        self._process = process
        self._log = log.open("ab")
        self._seen = 0
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        tail, pending = b"", b""
        stdout = self._process.stdout
        assert stdout is not None, "ibsim is started with stdout=PIPE"
        while chunk := os.read(stdout.fileno(), 65536):
            # a prompt split across two reads is counted once: the carried 4 bytes
            # cannot hold a whole 5-byte prompt
            count = (tail + chunk).count(_PROMPT)
            tail = (tail + chunk)[-(len(_PROMPT) - 1):]
            pending += chunk
            *lines, pending = pending.split(b"\n")
            self._log.writelines(line + b"\n" for line in lines
                                 if b"has been set to" not in line)
            self._log.flush()
            with self._cond:
                self._seen += count
                self._cond.notify_all()
        with self._cond:
            self._seen = -1           # ibsim is gone
            self._cond.notify_all()

    def prompts(self) -> int:
        with self._cond:
            return self._seen

    def send(self, lines: Sequence[str], timeout: float) -> None:
        """Write ``lines`` and wait until ibsim has prompted after the last one."""
        with self._cond:
            target = self._seen + len(lines)
        data = "".join(line.rstrip("\n") + "\n" for line in lines).encode()
        stdin = self._process.stdin
        assert stdin is not None, "ibsim is started with stdin=PIPE"
        try:
            stdin.write(data)
            stdin.flush()
        except (BrokenPipeError, ValueError) as err:
            raise ClusterError("ibsim is not running (its console is closed)") from err
        with self._cond:
            if not self._cond.wait_for(lambda: self._seen < 0 or self._seen >= target,
                                       timeout):
                raise ClusterError(f"ibsim did not run {len(lines)} console commands "
                                   f"in {timeout:g} s")
            if self._seen < 0:
                raise ClusterError("ibsim exited while running console commands")

    def close(self) -> None:
        self._thread.join(timeout=5)
        self._log.close()


class Sim:
    """A running ibsim + opensm for one fabric, in ``workdir`` (logs, opensm's cache)."""

    def __init__(self, fabric: IbFabric, workdir: Path, sockname: str) -> None:
        self.fabric, self.workdir, self.sockname = fabric, workdir, sockname
        self.ibsim: subprocess.Popen | None = None
        self.opensm: subprocess.Popen | None = None
        self._console: _Console | None = None

    @property
    def pids(self) -> dict[str, int]:
        return {name: p.pid for name, p in (("ibsim", self.ibsim), ("opensm", self.opensm))
                if p is not None}

    def start(self, title: str = "wlgen", timeout: float = 60) -> Sim:
        """Start ibsim, then opensm; return once opensm reports the subnet up."""
        reason = missing()
        if reason:
            raise ClusterError(reason)
        self.workdir.mkdir(parents=True, exist_ok=True)
        net = self.workdir / "net"
        net.write_text(render(self.fabric, title))
        try:
            self._start_ibsim(net, timeout)
            self._start_opensm(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _start_ibsim(self, net: Path, timeout: float) -> None:
        env = {**os.environ, "IBSIM_SOCKNAME": self.sockname}
        # its own process group: a Ctrl-C meant for the caller's terminal is not its end
        self.ibsim = subprocess.Popen(["ibsim", "-s", str(net)], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                      env=env, cwd=self.workdir, process_group=0)
        self._console = _Console(self.ibsim, self.workdir / "ibsim.log")
        wait_for(lambda: self._alive(self.ibsim, "ibsim.log") and self._console.prompts() > 0,
                 timeout, "ibsim to read the topology", interval=0.1)

    def _start_opensm(self, timeout: float) -> None:
        osm = self.workdir / "opensm"
        osm.mkdir(exist_ok=True)
        (osm / "guid2lid").unlink(missing_ok=True)    # fresh LIDs for a fresh fabric
        env = {**os.environ, **client_env(self.sockname), "SIM_HOST": self.fabric.root,
               "OSM_TMP_DIR": str(osm), "OSM_CACHE_DIR": str(osm)}
        log = osm / "opensm.log"
        log.unlink(missing_ok=True)
        with (osm / "stdout").open("wb") as out:
            # -d 2: flush the log after each message, the readiness check reads it
            self.opensm = subprocess.Popen(["opensm", "-d", "2", "-f", str(log)],
                                           stdin=subprocess.DEVNULL,
                                           stdout=out, stderr=subprocess.STDOUT, env=env,
                                           cwd=osm, process_group=0)
        wait_for(lambda: self._alive(self.opensm, "opensm/stdout") and log.exists()
                 and "SUBNET UP" in log.read_text(errors="replace"),
                 timeout, "opensm to bring the simulated subnet up", interval=0.2)

    def _alive(self, process: subprocess.Popen, log: str) -> bool:
        """True while ``process`` runs; raises with its log's tail once it has exited."""
        if process.poll() is None:
            return True
        text = (self.workdir / log).read_text(errors="replace") if (
            self.workdir / log).exists() else ""
        program = cast("list[str]", process.args)[0]   # both are started from a list of str
        raise ClusterError(f"{program} exited ({process.returncode}): "
                           f"{text.strip()[-800:]}")

    def send(self, lines: Sequence[str], timeout: float = 30) -> None:
        """Run console commands (``PerformanceSet``, ``Unlink``, ``ReLink``...) in order."""
        if self._console is None:
            raise ClusterError("ibsim is not started")
        for i in range(0, len(lines), 64):   # bounded batches: a pipe holds 64 KB
            self._console.send(lines[i:i + 64], timeout)

    def tool(self, argv: Sequence[str], timeout: float = 30) -> str:
        return run_tool(self.sockname, argv, timeout)

    def stop(self) -> None:
        """End opensm, then ibsim (both by their own pids); safe to call twice."""
        for process in (self.opensm, self.ibsim):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=5)
        if self.ibsim is not None and self.ibsim.stdin:
            self.ibsim.stdin.close()
        if self._console is not None:
            self._console.close()
            self._console = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
