"""The ``slurm`` section (slurm.conf overrides) and ``job_submit``.

Every override is recorded and goes to the real cluster's slurm.conf. With a ``slurm``
section the simulator schedules as Slurm does (workload/backends/sim/slurm/), reading
the same ``SlurmConfig`` (``config()``); without one it runs textbook EASY. Values are
checked as slurm.conf text (no control characters). Keys the cluster section or the
container cluster own are refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from workload.errors import InputError
from workload.scenario.schema import Key, opt
from workload.slurmconf import SlurmConfig, check_value
from workload.slurmconf.defaults import DEFAULT_RELEASE

SIM_POLICY = {"sched/backfill": "easy", "sched/builtin": "fcfs"}
CHOICES = {
    "SchedulerType": tuple(SIM_POLICY),
    "PriorityType": ("priority/basic", "priority/multifactor"),
    "SelectType": ("select/cons_tres", "select/cons_res", "select/linear"),
    "JobRequeue": (0, 1),
}
# Set from the cluster section or by the container cluster itself.
OWNED = ("ClusterName", "SlurmctldHost", "NodeName", "PartitionName", "SlurmUser",
         "AuthType", "StateSaveLocation", "SlurmdSpoolDir", "AccountingStorageHost")
JOB_SUBMIT_KEYS = ("lua", "plugin")
_KEYWORD = re.compile(r"^[A-Z][A-Za-z0-9]+$")
_PLUGIN = re.compile(r"^job_submit/[a-z_]+$")


@dataclass(frozen=True)
class SlurmDef:
    overrides: dict[str, object] = field(default_factory=dict)
    job_submit_lua: Path | None = None
    job_submit_plugin: str | None = None

    @property
    def policy(self) -> str:
        """The simulator's policy for SchedulerType (Slurm's default is sched/backfill)."""
        return SIM_POLICY[str(self.overrides.get("SchedulerType", "sched/backfill"))]

    @property
    def faithful(self) -> bool:
        """True when the scenario sets Slurm keys: the simulator then runs Slurm's
        scheduler (priority, main loop, backfill) instead of textbook EASY."""
        return bool(self.overrides)

    def config(self, release: str | None = None, **parts: object) -> SlurmConfig:
        """The container cluster's settings for ``release`` with these overrides on top;
        ``parts``: partitions, qos, accounts (SlurmConfig fields)."""
        conf = SlurmConfig.container(release or DEFAULT_RELEASE, **parts)
        for key, value in self.overrides.items():
            conf = conf.assign(key, value)
        return conf

    @property
    def requeue(self) -> bool:
        value = self.overrides.get("JobRequeue", 1)
        if not isinstance(value, (int, float, str)):
            raise TypeError(f"JobRequeue is {value!r}, not a number")
        return int(value) == 1

    def conf_lines(self) -> str:
        """The overrides as slurm.conf lines, for the container cluster's conf_extra."""
        plugins = ["lua"] if self.job_submit_lua else []
        plugins += [self.job_submit_plugin.split("/", 1)[1]] if self.job_submit_plugin else []
        lines = [f"{k}={v}" for k, v in self.overrides.items()]
        if plugins:
            lines.append(f"JobSubmitPlugins={','.join(plugins)}")
        return "\n".join(lines) + ("\n" if lines else "")

    def to_dict(self) -> dict[str, object]:
        return {"overrides": self.overrides, "job_submit_lua": self.job_submit_lua and
                str(self.job_submit_lua), "job_submit_plugin": self.job_submit_plugin}


def parse_slurm(key: Key | None, job_submit: Key | None, base: Path) -> SlurmDef:
    overrides: dict[str, object] = {}
    if key is not None and key.value is not None:
        for name, value in key.mapping().items():
            overrides[name] = _override(name, value)
    lua, plugin = _job_submit(job_submit, base) if job_submit is not None else (None, None)
    return SlurmDef(overrides, lua, plugin)


def _override(name: str, key: Key) -> object:
    if not _KEYWORD.match(name):
        raise key.error("not a slurm.conf keyword (CamelCase, e.g. SchedulerParameters)")
    if name in OWNED:
        raise key.error("set by the cluster section or the container cluster, not here")
    if name == "JobSubmitPlugins":
        raise key.error("use the job_submit section (lua: FILE or plugin: job_submit/NAME)")
    value = key.scalar()
    try:
        check_value(name, value)
    except InputError as err:
        raise key.error(err.rule) from None
    choices = CHOICES.get(name)
    if choices is not None and value not in choices:
        raise key.error(f"must be one of {', '.join(map(str, choices))}")
    return value


def _job_submit(key: Key, base: Path) -> tuple[Path | None, str | None]:
    keys = key.mapping(JOB_SUBMIT_KEYS)
    if not keys:
        raise key.error("give lua: FILE or plugin: job_submit/NAME")
    lua = None
    if "lua" in keys:
        lua = base / keys["lua"].text()
        if not lua.is_file():
            raise keys["lua"].error(f"no such file {lua} (paths are relative to the scenario)")
        _require_text(keys["lua"], lua)
    plugin = opt(keys, "plugin", "text", None)
    if plugin is not None and not _PLUGIN.match(plugin):
        raise keys["plugin"].error("must name a plugin like job_submit/all_partitions")
    return lua, plugin


def _require_text(key: Key, path: Path) -> None:
    """A job_submit.lua travels to the cluster as text: refuse one that is not UTF-8."""
    try:
        path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as err:
        raise key.error(f"{path} is not UTF-8 text (byte {err.start})") from None
