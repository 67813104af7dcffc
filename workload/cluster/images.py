"""Building the cluster image: a Debian base (registry or debootstrap), then Slurm on top.

Images are `localhost/wlgen-base:SUITE` (only when made with debootstrap) and
`localhost/wlgen-slurm:SUITE`. The Slurm image carries a label with a digest of its build
context (containers/ files + jobs/), so an edit of jobs/ triggers a rebuild, which
reuses the cached apt layer and takes seconds.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from workload.cluster import proc
from workload.cluster.config import SUITES
from workload.cluster.engine import Engine
from workload.errors import ClusterError

CONTEXT_LABEL = "wlgen.context"
CONTEXT_FILES = ("containers/Containerfile", "containers/entrypoint.sh")
DEFAULT_MIRROR = "http://deb.debian.org/debian"
#: suite -> the suite whose libmariadb slurmdbd uses instead (see the Containerfile).
MARIADB_CLIENT_FROM = {"trixie": "bookworm", "sid": "bookworm"}

Progress = Callable[[str], None]


def slurm_image(suite: str) -> str:
    return f"localhost/wlgen-slurm:{suite}"


def base_image(suite: str) -> str:
    return f"localhost/wlgen-base:{suite}"


def registry_base(suite: str) -> str:
    return f"docker.io/library/debian:{suite}-slim"


def repo_root() -> Path:
    """The source checkout holding containers/ and jobs/ (the build context)."""
    root = Path(__file__).resolve().parents[2]
    if not (root / "containers" / "Containerfile").is_file() or not (root / "jobs").is_dir():
        raise ClusterError(f"no containers/Containerfile and jobs/ under {root}: building "
                           "images needs a source checkout of wlgen")
    return root


def context_files(root: Path) -> list[Path]:
    """Every file that goes into the image, relative to ``root``, in a stable order."""
    jobs = sorted(p.relative_to(root) for p in (root / "jobs").rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc")
    return [Path(f) for f in CONTEXT_FILES] + jobs


def mirror() -> str:
    return os.environ.get("WLGEN_DEBIAN_MIRROR", DEFAULT_MIRROR)


def build_args(suite: str, base: str) -> dict[str, str]:
    return {"BASE": base, "SUITE": suite, "DEBIAN_MIRROR": mirror(),
            "MARIADB_CLIENT_FROM": MARIADB_CLIENT_FROM.get(suite, "")}


def context_digest(root: Path, suite: str, base: str) -> str:
    args = sorted(build_args(suite, base).items())
    digest = hashlib.sha256(repr(args).encode())
    for rel in context_files(root):
        digest.update(str(rel).encode() + b"\0" + (root / rel).read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def image_exists(engine: Engine, image: str) -> bool:
    return proc.run(engine, engine.image_exists(image), check=False).returncode == 0


def is_current(engine: Engine, suite: str, base: str) -> bool:
    """True when the Slurm image exists and was built from today's context."""
    image = slurm_image(suite)
    if not image_exists(engine, image):
        return False
    label = proc.text(engine, engine.image_label(image, CONTEXT_LABEL))
    return label == context_digest(repo_root(), suite, base)


def ensure_image(engine: Engine, suite: str, *, base: str | None = None,
                 rebuild: bool = False, fresh: bool = False,
                 progress: Progress = lambda msg: None) -> str:
    """The Slurm image for ``suite``, built (with its base) when missing or stale.

    ``rebuild`` builds even when current (reusing cached layers); ``fresh`` also remakes
    the debootstrap base and uses no cache: the build "from nothing"."""
    if suite not in SUITES:
        raise ClusterError(f"unknown Debian suite {suite!r}: one of {', '.join(SUITES)}")
    if fresh and not base:
        proc.run(engine, engine.image_remove([slurm_image(suite), base_image(suite)]),
                 check=False)
    base = base or choose_base(engine, suite, progress)
    if not (rebuild or fresh) and is_current(engine, suite, base):
        return slurm_image(suite)
    previous = image_id(engine, slurm_image(suite))
    build_slurm(engine, suite, base, progress, no_cache=fresh)
    if previous and previous != image_id(engine, slurm_image(suite)):
        # The replaced image would linger untagged; it stays only while a cluster uses it.
        proc.run(engine, engine.image_remove([previous]), check=False)
    return slurm_image(suite)


def image_id(engine: Engine, image: str) -> str | None:
    done = proc.run(engine, engine.image_id(image), check=False)
    return done.stdout.decode().strip() or None if done.returncode == 0 else None


def choose_base(engine: Engine, suite: str, progress: Progress) -> str:
    """A local debootstrap base (made if possible), else the registry's debian image."""
    local = base_image(suite)
    if image_exists(engine, local):
        return local
    if shutil.which("debootstrap") and os.geteuid() == 0:
        debootstrap_base(engine, suite, progress)
        return local
    progress(f"no debootstrap (needs root): using {registry_base(suite)} from the registry")
    return registry_base(suite)


def debootstrap_base(engine: Engine, suite: str, progress: Progress) -> None:
    progress(f"debootstrap --variant=minbase {suite} (no registry needed) ...")
    with tempfile.TemporaryDirectory(prefix="wlgen-rootfs-", dir="/var/tmp") as tmp:
        rootfs = Path(tmp) / "rootfs"
        done = subprocess.run(["debootstrap", "--variant=minbase", suite, str(rootfs), mirror()],
                              capture_output=True, check=False)
        if done.returncode != 0:
            raise ClusterError(f"debootstrap {suite} failed: {proc.last_line(done.stdout)}")
        # The image build runs apt-get update itself: stale lists only add weight.
        shutil.rmtree(rootfs / "var/lib/apt/lists", ignore_errors=True)
        import_rootfs(engine, rootfs, base_image(suite))


def import_rootfs(engine: Engine, rootfs: Path, image: str) -> None:
    """`tar -C rootfs -c . | engine import - image`, without a shell."""
    tar = subprocess.Popen(["tar", "-C", str(rootfs), "--numeric-owner", "-c", "."],
                           stdout=subprocess.PIPE)
    try:
        imported = subprocess.run(engine.image_import(image), stdin=tar.stdout,
                                  env=engine.env(os.environ), capture_output=True, check=False)
    finally:
        tar.stdout.close()
        tar_rc = tar.wait()
    if tar_rc != 0 or imported.returncode != 0:
        raise ClusterError(f"importing {rootfs} as {image} failed: "
                           f"{proc.last_line(imported.stderr)}")


def build_slurm(engine: Engine, suite: str, base: str, progress: Progress,
                no_cache: bool = False) -> None:
    root = repo_root()
    progress(f"building {slurm_image(suite)} from {base} (Slurm {SUITES[suite]}) ...")
    with tempfile.TemporaryDirectory(prefix="wlgen-context-") as tmp:
        context = Path(tmp)
        # A minimal context: only what the Containerfile copies, not the whole checkout.
        for rel in context_files(root):
            (context / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / rel, context / rel)
        argv = engine.build(context, context / "containers" / "Containerfile",
                            slurm_image(suite), build_args(suite, base),
                            {CONTEXT_LABEL: context_digest(root, suite, base)}, no_cache)
        proc.run(engine, argv, timeout=1800, context_lines=12)
