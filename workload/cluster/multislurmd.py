"""Whether an image's Slurm can run several slurmd in one container (`slurmd -N NAME`).

Slurm runs more than one slurmd on a host only when built with
``--enable-multiple-slurmd`` (the MULTIPLE_SLURMD define): then slurm.conf's
``NodeHostname``/``Port`` per node and ``%n`` in SlurmdSpoolDir/SlurmdPidFile let each
daemon find its own node. Such a build lists ``MULTIPLE_SLURMD`` among the keys
``scontrol show config`` prints (the key is compiled in only under that define), so its
name in libslurmfull is the mark. Found in Debian's builds (checked here, 2026-12):
bookworm's 22.05.8, trixie's 24.11.5 and sid's 26.05.5 all have it, and
``scontrol show config`` on a running cluster says ``MULTIPLE_SLURMD = Yes``.
"""

from __future__ import annotations

from workload.cluster import proc
from workload.cluster.engine import Engine
from workload.errors import InputError

MARK = "MULTIPLE_SLURMD"
# Any architecture's multiarch directory: the image's own libslurmfull.
_PROBE = f"grep -c -a {MARK} /usr/lib/*/slurm-wlm/libslurmfull.so"


def probe_argv(engine: Engine, image: str) -> list[str]:
    """The command that counts the mark in ``image``'s libslurmfull (no network)."""
    return [engine.name, "run", "--rm", "--network", "none", "--entrypoint", "sh", image,
            "-c", _PROBE]


def supported(returncode: int, stdout: bytes) -> bool:
    """Whether the probe's answer shows a multiple-slurmd build. Pure: grep -c prints
    the count of lines with the mark (exit 0 when > 0, 1 when none, 2 on an error)."""
    text = stdout.decode(errors="replace").strip().splitlines()
    return returncode == 0 and bool(text) and text[-1].isdigit() and int(text[-1]) > 0


def require(engine: Engine, image: str, suite: str, per_container: int) -> None:
    """InputError (exit 2) when ``per_container`` > 1 and ``image``'s Slurm lacks
    multiple-slurmd support; nothing to check for one slurmd a container."""
    if per_container == 1:
        return
    done = proc.run(engine, probe_argv(engine, image), check=False, timeout=120)
    if not supported(done.returncode, done.stdout):
        raise InputError(f"the Slurm of {image} (--slurm {suite}) was built without "
                         "--enable-multiple-slurmd: it runs one slurmd a container; use "
                         "--nodes-per-container 1", field="--nodes-per-container",
                         value=per_container)
