"""Building the cluster images: a Debian base (registry or debootstrap), then a recipe on top.

Images are `localhost/wlgen-base:SUITE` (only when made with debootstrap),
`localhost/wlgen-slurm:SUITE` (recipe SLURM) and `localhost/wlgen-monitoring:bookworm`
(recipe MONITORING: carbon + graphite-web + rsyslog, `up --monitoring`). Each image
carries a label with a digest of its build context (its containers/ files, + jobs/ for
Slurm), so an edit of jobs/ triggers a rebuild, which reuses the cached apt layer and
takes seconds.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from workload.cluster import proc
from workload.cluster.config import SUITES
from workload.cluster.engine import Engine
from workload.errors import ClusterError

CONTEXT_LABEL = "wlgen.context"
CONTEXT_FILES = ("containers/Containerfile", "containers/entrypoint.sh")
MONITORING_SUITE = "bookworm"  # graphite-web 1.1.8: the version the sinks are tested with
DEFAULT_MIRROR = "http://deb.debian.org/debian"
#: suite -> the suite whose libmariadb slurmdbd uses instead (see the Containerfile).
MARIADB_CLIENT_FROM = {"trixie": "bookworm", "sid": "bookworm"}

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Recipe:
    """One image wlgen builds: its name, Containerfile and the files of its context."""

    repo: str                          # localhost/<repo>:<suite>
    containerfile: str                 # relative to the checkout (the build context)
    files: tuple[str, ...] = ()        # single files copied into the context
    trees: tuple[str, ...] = ()        # directories copied whole (no caches)
    slurm: bool = True                 # takes the Slurm build args (suite, mirror, ...)

    def image(self, suite: str) -> str:
        return f"localhost/{self.repo}:{suite}"


SLURM = Recipe("wlgen-slurm", "containers/Containerfile", CONTEXT_FILES, ("jobs",))
MONITORING = Recipe("wlgen-monitoring", "containers/monitoring/Containerfile",
                    trees=("containers/monitoring",), slurm=False)


def slurm_image(suite: str) -> str:
    return SLURM.image(suite)


def monitoring_image() -> str:
    return MONITORING.image(MONITORING_SUITE)


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


def context_files(root: Path, recipe: Recipe = SLURM) -> list[Path]:
    """Every file that goes into the image, relative to ``root``, in a stable order."""
    out = [Path(f) for f in recipe.files]
    for tree in recipe.trees:
        out += sorted(p.relative_to(root) for p in (root / tree).rglob("*")
                      if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc")
    return out


def mirror() -> str:
    return os.environ.get("WLGEN_DEBIAN_MIRROR", DEFAULT_MIRROR)


def build_args(suite: str, base: str, recipe: Recipe = SLURM) -> dict[str, str]:
    if not recipe.slurm:
        return {"BASE": base}
    return {"BASE": base, "SUITE": suite, "DEBIAN_MIRROR": mirror(),
            "MARIADB_CLIENT_FROM": MARIADB_CLIENT_FROM.get(suite, "")}


def context_digest(root: Path, suite: str, base: str, recipe: Recipe = SLURM) -> str:
    args = sorted(build_args(suite, base, recipe).items())
    digest = hashlib.sha256(repr(args).encode())
    for rel in context_files(root, recipe):
        digest.update(str(rel).encode() + b"\0" + (root / rel).read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def image_exists(engine: Engine, image: str) -> bool:
    """True when ``image`` is there; ClusterError when the engine cannot say (e.g. docker
    with no daemon behind DOCKER_HOST), which must not start a debootstrap and a build."""
    argv = engine.image_exists(image)
    done = proc.run(engine, argv, check=False)
    if done.returncode == 0:
        return True
    if engine.image_missing(done.returncode, done.stderr):
        return False
    raise proc.failure(argv, done)


def is_current(engine: Engine, suite: str, base: str, recipe: Recipe = SLURM) -> bool:
    """True when the recipe's image exists and was built from today's context."""
    image = recipe.image(suite)
    if not image_exists(engine, image):
        return False
    label = proc.text(engine, engine.image_label(image, CONTEXT_LABEL))
    return label == context_digest(repo_root(), suite, base, recipe)


def ensure_image(engine: Engine, suite: str, *, base: str | None = None,
                 rebuild: bool = False, fresh: bool = False,
                 progress: Progress = lambda msg: None, recipe: Recipe = SLURM) -> str:
    """The Slurm image for ``suite`` (or ``recipe``'s), built with its base when missing
    or stale.

    ``rebuild`` builds even when current (reusing cached layers); ``fresh`` also remakes
    the debootstrap base and uses no cache: the build "from nothing"."""
    if suite not in SUITES:
        raise ClusterError(f"unknown Debian suite {suite!r}: one of {', '.join(SUITES)}")
    image = recipe.image(suite)
    if fresh and not base:
        proc.run(engine, engine.image_remove([image, base_image(suite)]), check=False)
    base = base or choose_base(engine, suite, progress)
    if not (rebuild or fresh) and is_current(engine, suite, base, recipe):
        return image
    previous = image_id(engine, image)
    build_image(engine, recipe, suite, base, progress, no_cache=fresh)
    if previous and previous != image_id(engine, image):
        # The replaced image would linger untagged; it stays only while a cluster uses it.
        proc.run(engine, engine.image_remove([previous]), check=False)
    return image


def ensure_monitoring_image(engine: Engine, *, base: str | None = None,
                            rebuild: bool = False, fresh: bool = False,
                            progress: Progress = lambda msg: None) -> str:
    """The monitoring image (always bookworm), built like the Slurm image."""
    return ensure_image(engine, MONITORING_SUITE, base=base, rebuild=rebuild, fresh=fresh,
                        progress=progress, recipe=MONITORING)


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
        if tar.stdout is not None:      # always: tar is started with stdout=PIPE
            tar.stdout.close()
        tar_rc = tar.wait()
    if tar_rc != 0 or imported.returncode != 0:
        raise ClusterError(f"importing {rootfs} as {image} failed: "
                           f"{proc.last_line(imported.stderr)}")


def build_image(engine: Engine, recipe: Recipe, suite: str, base: str, progress: Progress,
                no_cache: bool = False) -> None:
    root = repo_root()
    what = f"Slurm {SUITES[suite]}" if recipe.slurm else "carbon, graphite-web, rsyslog"
    progress(f"building {recipe.image(suite)} from {base} ({what}) ...")
    with tempfile.TemporaryDirectory(prefix="wlgen-context-") as tmp:
        context = Path(tmp)
        # A minimal context: only what the Containerfile copies, not the whole checkout.
        for rel in context_files(root, recipe):
            (context / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / rel, context / rel)
        argv = engine.build(context, context / recipe.containerfile, recipe.image(suite),
                            build_args(suite, base, recipe),
                            {CONTEXT_LABEL: context_digest(root, suite, base, recipe)},
                            no_cache)
        proc.run(engine, argv, timeout=1800, context_lines=12)
