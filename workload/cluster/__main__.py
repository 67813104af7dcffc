"""Standard-library entry points (no click, no simpy):

    python3 -m workload.cluster build [--slurm SUITE ...]   build images (CI runs this
        in .ci/setup.d/30-slurm-images.sh before anything is pip-installed)
    python3 -m workload.cluster compose-init [DIR]          configs + fresh keys for
        containers/compose.yaml; prints the WLGEN_STATE=DIR line compose needs

Everyone else uses `wlgen cluster ...`.
"""

from __future__ import annotations

import argparse
import sys
import time

from pathlib import Path

from workload.cluster.config import SUITES, ClusterSpec
from workload.cluster.files import write_files
from workload.cluster.images import ensure_image
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
    args = parser.parse_args(argv)
    if args.command == "compose-init":
        return compose_init(args.dir or state_root().parent / "compose")
    engine = make_engine(args.engine)
    for suite in args.slurm or ["bookworm"]:
        start = time.monotonic()
        try:
            image = ensure_image(engine, suite, base=args.base, rebuild=args.rebuild,
                                 progress=lambda msg: print(f"wlgen: {msg}", file=sys.stderr))
        except WlgenError as err:
            print(f"wlgen: error: {err}", file=sys.stderr)
            return err.exit_code
        print(f"{image} ready ({time.monotonic() - start:.1f} s)")
    return 0


def compose_init(root: Path) -> int:
    """The files containers/compose.yaml mounts: its 2 nodes on 10.213.250.0/24."""
    if (root / "secrets").exists():
        print(f"wlgen: error: {root}/secrets exists; remove {root} for new keys",
              file=sys.stderr)
        return 1
    write_files(ClusterSpec(name="wlgen", nodes=2, cpus=4, mem_mb=4096, subnet=250), root)
    print(f"WLGEN_STATE={root.resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
