"""The container engine as argv builders: the only place podman and docker differ.

Everything here is pure (argv lists and texts), so it is unit-tested without an engine;
``run`` in :mod:`workload.cluster.proc` executes what these build.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ENGINES = ("podman", "docker")

# Rootful podman here: runc (crun fails on this hybrid cgroup host), cgroupfs (no
# systemd), explicit ulimits (the defaults cannot be raised without CAP_SYS_RESOURCE),
# netavark (never mix with CNI), and a file event log (no journald). Served through
# `podman system service` (the docker engine on podman's API), every exec keeps a conmon
# for exit_command_delay (300 s by default): ~150 idle processes after one test module.
PODMAN_CONF = """\
# Written by wlgen (workload.cluster.engine); passed to podman via CONTAINERS_CONF.
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
exit_command_delay = 10
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"

[network]
network_backend = "netavark"
"""

# Also passed on every `run`: docker has no containers.conf, and being explicit costs nothing.
ULIMITS = ("nofile=20000:20000", "nproc=32768:32768")


@dataclass(frozen=True, slots=True)
class ContainerSpec:
    """One container of a cluster, engine-neutral."""

    name: str
    image: str
    hostname: str
    network: str
    ip: str
    command: tuple[str, ...] = ()
    hosts: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    # (host path, container path, read_only)
    mounts: tuple[tuple[str, str, bool], ...] = ()
    # (host address, host port, container port); the port may say "5000/udp"
    publish: tuple[tuple[str, int, int | str], ...] = ()
    shm_size: str | None = None


@dataclass(frozen=True, slots=True)
class Engine:
    """argv builders for one engine. ``conf`` is podman's containers.conf path."""

    name: str = "podman"
    conf: Path | None = None

    def __post_init__(self) -> None:
        if self.name not in ENGINES:
            raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {self.name!r}")

    def env(self, base: Mapping[str, str]) -> dict[str, str]:
        """The environment to run the engine CLI with."""
        env = dict(base)
        if self.name == "podman" and self.conf is not None:
            env["CONTAINERS_CONF"] = str(self.conf)
        return env

    def run(self, spec: ContainerSpec) -> list[str]:
        argv = [self.name, "run", "-d", "--name", spec.name, "--hostname", spec.hostname,
                "--network", spec.network, "--ip", spec.ip]
        for host, ip in spec.hosts.items():
            argv += ["--add-host", f"{host}:{ip}"]
        argv += _pairs("--label", spec.labels) + _pairs("--env", spec.env)
        for limit in ULIMITS:
            argv += ["--ulimit", limit]
        for src, dst, read_only in spec.mounts:
            argv += ["-v", f"{src}:{dst}:ro" if read_only else f"{src}:{dst}"]
        for addr, host_port, port in spec.publish:
            argv += ["-p", f"{addr}:{host_port}:{port}"]
        if spec.shm_size:
            argv += ["--shm-size", spec.shm_size]
        return argv + [spec.image, *spec.command]

    def remove(self, names: Sequence[str]) -> list[str]:
        # -t 0: the cluster is thrown away, so there is no point waiting for daemons.
        return [self.name, "rm", "-f", "-t", "0", *names] if self.name == "podman" \
            else [self.name, "rm", "-f", *names]

    def list_containers(self, label: str) -> list[str]:
        """Every container (running or not) with ``label``; parse with parse_containers."""
        # podman's {{.State}} template is a phrase ("Up 3 seconds"); its JSON is not.
        fmt = "json" if self.name == "podman" else "{{json .}}"
        return [self.name, "ps", "-a", "--filter", f"label={label}", "--format", fmt]

    def parse_containers(self, output: str) -> dict[str, str]:
        """container name -> state ("running", "exited", ...) from list_containers."""
        if self.name == "podman":
            rows = json.loads(output or "[]")
        else:  # docker: one JSON object a line, Names a comma-separated string
            rows = [json.loads(line) for line in output.splitlines() if line.strip()]
        out = {}
        for row in rows:
            names = row["Names"]
            for name in names if isinstance(names, list) else names.split(","):
                out[name] = str(row["State"]).lower()
        return out

    def network_create(self, name: str, subnet: str, labels: Mapping[str, str]) -> list[str]:
        return [self.name, "network", "create", "--driver", "bridge", "--subnet", subnet,
                *_pairs("--label", labels), name]

    def network_list(self, label: str) -> list[str]:
        return [self.name, "network", "ls", "--filter", f"label={label}",
                "--format", "{{.Name}}"]

    def network_remove(self, names: Sequence[str]) -> list[str]:
        return [self.name, "network", "rm", *names]

    def exec(self, container: str, argv: Sequence[str], *, interactive: bool = False,
             tty: bool = False, user: str | None = None) -> list[str]:
        flags = ["-i"] if interactive else []
        if tty:
            flags.append("-t")
        if user:
            flags += ["--user", user]
        return [self.name, "exec", *flags, container, *argv]

    def logs(self, container: str, tail: int) -> list[str]:
        return [self.name, "logs", "--tail", str(tail), container]

    def image_exists(self, image: str) -> list[str]:
        if self.name == "podman":
            return ["podman", "image", "exists", image]
        return ["docker", "image", "inspect", "--format", "{{.Id}}", image]

    def image_missing(self, returncode: int, stderr: bytes) -> bool:
        """Whether a failed image_exists means "no such image" rather than an engine that
        cannot answer (docker without a reachable daemon also exits 1): only a missing
        image may lead to a build."""
        if self.name == "podman":
            return returncode == 1  # `podman image exists`: 1 missing, 125 an error
        return b"no such image" in stderr.lower()

    def image_id(self, image: str) -> list[str]:
        return [self.name, "image", "inspect", "--format", "{{.Id}}", image]

    def image_label(self, image: str, label: str) -> list[str]:
        return [self.name, "image", "inspect", "--format",
                f'{{{{index .Config.Labels "{label}"}}}}' if self.name == "docker"
                else f'{{{{index .Labels "{label}"}}}}', image]

    def image_import(self, image: str) -> list[str]:
        """Import a root filesystem tarball read from stdin as ``image``."""
        return [self.name, "import", "-", image]

    def build(self, context: Path, containerfile: Path, tag: str, args: Mapping[str, str],
              labels: Mapping[str, str], no_cache: bool = False) -> list[str]:
        # Host network: apt-get inside the build reaches the mirror without a bridge.
        argv = [self.name, "build", "--network", "host", "-f", str(containerfile), "-t", tag]
        if no_cache:
            argv.append("--no-cache")
        argv += _pairs("--build-arg", args) + _pairs("--label", labels)
        return argv + [str(context)]

    def image_remove(self, images: Sequence[str]) -> list[str]:
        # No -f: podman's -f would also remove the containers of a running cluster.
        return [self.name, "rmi", *images]


def _pairs(flag: str, values: Mapping[str, str]) -> list[str]:
    out: list[str] = []
    for key, value in values.items():
        out += [flag, f"{key}={value}"]
    return out
