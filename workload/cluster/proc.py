"""Running engine commands: argv lists only, errors as one-line ClusterErrors."""

from __future__ import annotations

import logging
import os
import subprocess
from collections.abc import Sequence

from workload.cluster import state
from workload.cluster.engine import PODMAN_CONF, Engine
from workload.errors import ClusterError

log = logging.getLogger(__name__)


def make_engine(name: str = "podman") -> Engine:
    """An Engine whose podman runs with wlgen's own containers.conf (written if needed)."""
    if name != "podman":
        return Engine(name)
    conf = state.state_root().parent / "podman-containers.conf"
    if not conf.is_file() or conf.read_text() != PODMAN_CONF:
        conf.parent.mkdir(parents=True, exist_ok=True)
        conf.write_text(PODMAN_CONF)
    return Engine(name, conf)


def run(engine: Engine, argv: Sequence[str], *, check: bool = True, input: bytes | None = None,
        timeout: float | None = 300, capture: bool = True,
        context_lines: int = 1) -> subprocess.CompletedProcess:
    """Run an engine command; with ``check`` a failure raises ClusterError naming it
    and quoting the last ``context_lines`` lines of its output."""
    log.debug("run: %s", " ".join(argv))
    try:
        proc = subprocess.run(list(argv), input=input, env=engine.env(os.environ),
                              capture_output=capture, timeout=timeout, check=False)
    except FileNotFoundError as err:
        raise ClusterError(f"{argv[0]} is not installed (needed for the {engine.name} "
                           f"engine)") from err
    except subprocess.TimeoutExpired as err:
        raise ClusterError(f"`{_short(argv)}` did not finish in {timeout:g} s") from err
    if check and proc.returncode != 0:
        raise failure(argv, proc, context_lines)
    return proc


def failure(argv: Sequence[str], done: subprocess.CompletedProcess,
            context_lines: int = 1) -> ClusterError:
    """The ClusterError for a failed engine command, naming it and quoting the last
    ``context_lines`` lines of its output."""
    if context_lines <= 1:
        return ClusterError(f"`{_short(argv)}` failed (exit {done.returncode}): "
                            f"{last_line(done.stderr)}")
    output = (done.stdout or b"") + (done.stderr or b"")
    tail = output.decode(errors="replace").strip().splitlines()[-context_lines:]
    return ClusterError(f"`{_short(argv)}` failed (exit {done.returncode}); last lines:\n"
                        + "\n".join("    " + line for line in tail))


def text(engine: Engine, argv: Sequence[str], **kwargs) -> str:
    """stdout of a successful engine command, decoded and stripped."""
    return run(engine, argv, **kwargs).stdout.decode(errors="replace").strip()


def last_line(output: bytes | str | None) -> str:
    if isinstance(output, bytes):
        output = output.decode(errors="replace")
    lines = [line for line in (output or "").splitlines() if line.strip()]
    return lines[-1].strip() if lines else "(no output)"


def _short(argv: Sequence[str]) -> str:
    shown = " ".join(argv[:4])
    return shown + " ..." if len(argv) > 4 else shown
