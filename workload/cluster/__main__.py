"""Standard-library entry points (no click, no simpy):

    python3 -m workload.cluster build [--slurm SUITE ...] [--monitoring]   build images
        (CI runs this in .ci/setup.d/30-slurm-images.sh before anything is pip-installed;
        --monitoring adds the graphite + log receiver image of `up --monitoring`)
    python3 -m workload.cluster compose-init [DIR]          configs + fresh keys for
        containers/compose.yaml; prints the WLGEN_STATE=DIR line compose needs

Everyone else uses `wlgen cluster ...`.
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
from collections.abc import Callable
from pathlib import Path

from workload.cluster.config import SUITES, ClusterSpec
from workload.cluster.files import write_files
from workload.cluster.images import ensure_image, ensure_monitoring_image
from workload.cluster.proc import make_engine
from workload.cluster.state import state_root
from workload.errors import WlgenError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m workload.cluster",
                                     description="Build wlgen's Slurm images.")
    parser.add_argument("command", choices=["build", "compose-init"])
    parser.add_argument("dir", nargs="?", type=Path, help="compose-init: where to write")
    parser.add_argument("--slurm", action="append", choices=sorted(SUITES),
                        help="Debian suite (repeatable; default bookworm)")
    parser.add_argument("--engine", default="podman", choices=["podman", "docker"])
    parser.add_argument("--base", help="base image instead of a debootstrap one")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--monitoring", action="store_true",
                        help="also build the monitoring image (graphite, log receiver)")
    args = parser.parse_args(argv)
    if args.command == "compose-init":
        return compose_init(args.dir or state_root().parent / "compose")
    engine = make_engine(args.engine)
    builds: list[Callable[[], str]] = [
        functools.partial(ensure_image, engine, suite, base=args.base, rebuild=args.rebuild,
                          progress=_say)
        for suite in args.slurm or ["bookworm"]]
    if args.monitoring:
        # --base is the Slurm image's (any suite); the monitoring image picks its own.
        builds.append(lambda: ensure_monitoring_image(engine, rebuild=args.rebuild,
                                                      progress=_say))
    for build in builds:
        start = time.monotonic()
        try:
            image = build()
        except WlgenError as err:
            print(f"wlgen: error: {err}", file=sys.stderr)
            return err.exit_code
        print(f"{image} ready ({time.monotonic() - start:.1f} s)")
    return 0


def _say(message: str) -> None:
    print(f"wlgen: {message}", file=sys.stderr)


def compose_init(root: Path) -> int:
    """The files containers/compose.yaml mounts: its 2 nodes on 10.213.250.0/24, and the
    log receiver's output directory."""
    if (root / "secrets").exists():
        print(f"wlgen: error: {root}/secrets exists; remove {root} for new keys",
              file=sys.stderr)
        return 1
    write_files(ClusterSpec(name="wlgen", nodes=2, cpus=4, mem_mb=4096, subnet=250), root)
    (root / "monitoring").mkdir(exist_ok=True)  # the log receiver's output (a bind mount)
    print(f"WLGEN_STATE={root.resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
