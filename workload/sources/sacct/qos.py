"""``sacctmgr -P show qos``: each QOS's priority and limits, as a site has them."""

from __future__ import annotations

from dataclasses import dataclass

from workload.errors import InputError
from workload.sources.sacct import fields
from workload.sources.sacct.table import rows, whole

REQUIRED = ("Name", "Priority")


@dataclass(frozen=True, slots=True)
class Qos:
    name: str
    priority: int
    max_wall_s: float | None = None
    max_jobs_pu: int | None = None
    max_submit_pu: int | None = None
    max_tres_pu: str | None = None
    usage_factor: float | None = None
    flags: str | None = None


def load_qos(path: str) -> list[Qos]:
    out = []
    for line, v in rows(path, REQUIRED):
        if not v["Name"]:
            raise InputError("a QOS needs a name", file=path, line=line, field="Name")
        try:
            wall = fields.duration(v.get("MaxWall", ""))
            factor = float(v["UsageFactor"]) if v.get("UsageFactor") else None
        except ValueError as err:
            raise InputError(str(err), file=path, line=line,
                             field="MaxWall/UsageFactor") from None
        out.append(Qos(v["Name"], whole(v["Priority"], path, line, "Priority") or 0,
                       max_wall_s=wall,
                       max_jobs_pu=whole(v.get("MaxJobsPU", ""), path, line, "MaxJobsPU"),
                       max_submit_pu=whole(v.get("MaxSubmitPU", ""), path, line,
                                           "MaxSubmitPU"),
                       max_tres_pu=v.get("MaxTRESPU") or None, usage_factor=factor,
                       flags=v.get("Flags") or None))
    return out
