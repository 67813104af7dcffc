"""``sacct -P`` / ``-p`` dumps: a header line, then one row per job or step.

Any column order and any subset that has the required columns (REQUIRED) is read; the
others are used when present (OPTIONAL). A ``|`` inside a free-text field (a job name,
a submit line) makes a row longer than the header: the extra pieces are given back to
the free-text columns in the one way that leaves every typed column valid (and, when
several ways do, the one whose job name the submit line names). A '|' inside a text
column that is not free text (User, Account...) cannot be told from a shifted row.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass

from workload.errors import InputError
from workload.sources.sacct import fields
from workload.sources.sacct.record import JobId, SacctRecord, job_id

REQUIRED = ("JobID", "User", "Submit", "State")
#: ...and one of Elapsed/ElapsedRaw and one of NCPUS/ReqCPUS/AllocCPUS. Used when present:
OPTIONAL = ("JobIDRaw", "JobName", "Group", "Account", "Partition", "QOS", "Eligible",
            "Start", "End", "Elapsed", "ElapsedRaw", "Timelimit", "TimelimitRaw", "NCPUS",
            "AllocCPUS", "ReqCPUS", "NNodes", "ReqNodes", "ReqMem", "ReqTRES", "AllocTRES",
            "ExitCode", "Priority", "SubmitLine")
FREE_TEXT = frozenset({"JobName", "SubmitLine", "WorkDir", "Comment", "AdminComment",
                       "SystemComment", "Constraints", "Reason", "Reservation", "WCKey",
                       "StdOut", "StdErr", "StdIn", "Container"})
# Ways to put extra "|" back tried at most (each parsed; 27,132 took 0.6 s): beyond, an error.
MAX_SPREADS = 100_000
_TYPED = {"JobID": job_id, "JobIDRaw": job_id, "Submit": fields.when,
          "Eligible": fields.when, "Start": fields.when, "End": fields.when,
          "Elapsed": fields.duration, "ElapsedRaw": fields.count, "Timelimit": fields.duration,
          "TimelimitRaw": fields.minutes, "NCPUS": fields.count, "AllocCPUS": fields.count,
          "ReqCPUS": fields.count, "NNodes": fields.count, "ReqNodes": fields.count,
          "ReqMem": fields.memory, "ReqTRES": fields.tres, "AllocTRES": fields.tres,
          "ExitCode": fields.exit_code, "Priority": fields.count, "State": fields.state}


@dataclass(frozen=True)
class Row:
    """One data row: its line number and its values by column name."""

    line: int
    values: dict[str, str]

    @property
    def id(self) -> JobId:
        return job_id(self.values["JobID"])


def looks_like(first_line: str) -> bool:
    """True when ``first_line`` is a sacct -P/-p header (JobID and State among its names)."""
    names = set(first_line.rstrip("\r\n").split("|"))
    return "JobID" in names and "State" in names


def header(text: str, path: str) -> tuple[list[str], bool]:
    """The column names and whether rows end with a '|' (-p) rather than not (-P)."""
    trailing = text.endswith("|")
    names = text[:-1].split("|") if trailing else text.split("|")
    missing = [n for n in REQUIRED if n not in names]
    if missing:
        raise InputError(f"sacct header lacks {', '.join(missing)} (required: "
                         f"{', '.join(REQUIRED)})", file=path, line=1, field="header")
    for one_of in (("Elapsed", "ElapsedRaw"), ("NCPUS", "ReqCPUS", "AllocCPUS")):
        if not set(one_of) & set(names):
            raise InputError(f"sacct header needs one of {', '.join(one_of)}", file=path,
                             line=1, field="header")
    return names, trailing


def split(text: str, path: str) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The header's column names, and each data row's line number and pieces."""
    lines = iter(text.splitlines())
    first = next(lines, None)
    if first is None:
        raise InputError("empty file: expected a sacct -P header line", file=path, line=1)
    names, trailing = header(first, path)

    def body() -> Iterator[tuple[int, list[str]]]:
        for number, text in enumerate(lines, start=2):
            if not text.strip():
                continue
            if trailing and text.endswith("|"):
                text = text[:-1]
            yield number, text.split("|")
    return names, body()


def row(parts: list[str], names: list[str], path: str, line: int) -> Row:
    """One data row, with a '|' inside free text re-joined (see the module's note)."""
    return Row(line, rejoin(parts, names, path, line))


def rejoin(parts: list[str], names: list[str], path: str, line: int) -> dict[str, str]:
    """Map ``parts`` to ``names``; extra parts go back into the free-text columns."""
    extra = len(parts) - len(names)
    if extra == 0:
        return dict(zip(names, parts))
    if extra < 0:
        raise InputError(f"{len(parts)} fields where the header has {len(names)}",
                         file=path, line=line, field="row")
    free = [i for i, n in enumerate(names) if n in FREE_TEXT]
    if math.comb(extra + len(free) - 1, extra) > MAX_SPREADS:
        raise InputError(f"{len(parts)} fields where the header has {len(names)}: too many "
                         f"ways to put {extra} extra '|' back into {len(free)} free-text "
                         f"columns (dump with fewer of them, or with -p)", file=path,
                         line=line, field="row")
    fits = [v for v in _spreads(parts, names, free, extra) if _valid(v)]
    for plausible in (_starts_with_command, _named_in_submit_line):
        if len(fits) > 1:
            fits = [v for v in fits if plausible(v)] or fits
    if len(fits) != 1:
        why = "no way" if not fits else f"{len(fits)} ways"
        raise InputError(f"{len(parts)} fields where the header has {len(names)}, and "
                         f"{why} to put the extra '|' back into free text", file=path,
                         line=line, field="row")
    return fits[0]


def _spreads(parts: list[str], names: list[str], free: list[int],
             extra: int) -> Iterator[dict[str, str]]:
    for split in _compositions(extra, len(free)):
        width = dict(zip(free, split))
        values, at = {}, 0
        for index, name in enumerate(names):
            take = 1 + width.get(index, 0)
            values[name] = "|".join(parts[at:at + take])
            at += take
        yield values


def _compositions(total: int, slots: int) -> Iterator[tuple[int, ...]]:
    """Every way to share ``total`` among ``slots`` (each >= 0), in lexicographic order:
    C(total + slots - 1, total) of them, where trying every tuple and keeping those of
    the right sum took (total + 1) ** slots steps (a few '|' in a name, with 14 free-text
    columns, ran for minutes)."""
    if slots == 1:
        yield (total,)
        return
    if slots < 1:
        return
    for first in range(total + 1):
        for rest in _compositions(total - first, slots - 1):
            yield (first, *rest)


def _valid(values: dict[str, str]) -> bool:
    for name, parse in _TYPED.items():
        if name in values and values[name] != "":
            try:
                parse(values[name])
            except ValueError:
                return False
    return True


def _starts_with_command(values: dict[str, str]) -> bool:
    """A submit line starts with the command that submitted the job."""
    line = values.get("SubmitLine", "")
    return not line or re.match(r"^(?:\S*/)?(?:sbatch|salloc|srun)(?:\s|$)", line) is not None


def _named_in_submit_line(values: dict[str, str]) -> bool:
    """The submit line names the job exactly as the JobName column has it."""
    line, name = values.get("SubmitLine", "") + " ", values.get("JobName", "")
    return bool(name) and any(f"{opt}{name} " in line
                              for opt in ("-J ", "-J", "--job-name=", "--job-name "))


def row_id(row: Row, path: str) -> JobId:
    """The row's JobID (a step has one too); an InputError when it is none of sacct's."""
    try:
        return job_id(row.values["JobID"])
    except ValueError as err:
        raise InputError(str(err), file=path, line=row.line, field="JobID",
                         value=row.values["JobID"]) from None


def _raw_id(raw: JobId | None, ident: JobId) -> int | None:
    """JobIDRaw; without that column a plain job's id is its own, a task's is unknown."""
    if raw is not None:
        return raw.job
    return ident.job if ident.task is None else None


def record(row: Row, path: str) -> SacctRecord:
    """A job row as a record; a value that breaks its column's rule is an InputError."""
    v = row.values

    def get(name: str, parse=None, default=None):
        text = v.get(name)
        if text is None or (text == "" and parse is not fields.state):
            return default
        try:
            return parse(text) if parse else text
        except ValueError as err:
            raise InputError(str(err), file=path, line=row.line, field=name,
                             value=text) from None

    ident: JobId = get("JobID", job_id)
    raw = get("JobIDRaw", job_id)
    mem = get("ReqMem", fields.memory)
    req_tres = get("ReqTRES", fields.tres, {})
    alloc_tres = get("AllocTRES", fields.tres, {})
    gpus, gpu_type = fields.gpus(alloc_tres or req_tres)
    elapsed = get("ElapsedRaw", fields.count)
    return SacctRecord(
        line=row.line, id=ident, raw_id=_raw_id(raw, ident),
        name=get("JobName", default=""), user=get("User", default=""),
        state=get("State", fields.state), submit=get("Submit", fields.when),
        start=get("Start", fields.when), end=get("End", fields.when),
        eligible=get("Eligible", fields.when),
        elapsed_s=float(elapsed) if elapsed is not None else get("Elapsed", fields.duration),
        time_limit_s=get("TimelimitRaw", fields.minutes, get("Timelimit", fields.duration)),
        req_cpus=get("ReqCPUS", fields.count),
        alloc_cpus=get("NCPUS", fields.count, get("AllocCPUS", fields.count)),
        nodes=get("NNodes", fields.count), req_nodes=get("ReqNodes", fields.count),
        mem_mb=mem[0] if mem else None, mem_per=(mem[1] or "job") if mem else "",
        gpus=gpus, gpu_type=gpu_type, group=get("Group"), account=get("Account"),
        partition=get("Partition"), qos=get("QOS"),
        exit_code=get("ExitCode", fields.exit_code), submit_line=get("SubmitLine"),
        priority=get("Priority", fields.count), array_job=ident.job if (
            ident.task is not None or ident.task_range) else None,
        extra={f"ReqTRES.{k}": x for k, x in req_tres.items()})
