"""Pure parsers of Slurm client output (run with SLURM_TIME_FORMAT=%s: epoch seconds).

Every parser takes the text a command printed and returns plain records; the commands
themselves are named next to them (``SQUEUE_ARGV``...) so tests and backend agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from workload.backends.slurm.states import normalize

TIME_ENV = {"SLURM_TIME_FORMAT": "%s"}   # every time field as Unix epoch seconds
# --Format (-O) rather than --format: only it has the exit code (``exit_code``, 22.05+).
# The columns are sacct's below, in the same order, then the priority (PriorityLong: the
# integer; "Priority" is it scaled to 0..1). "NAME:|" is no width limit or padding, then
# '|'; the job name comes last, with nothing after it.
_SQ_FIELDS = ("JobArrayID", "State", "Reason", "SubmitTime", "StartTime", "EndTime",
              "UserName", "Partition", "NumCPUs", "NodeList", "exit_code", "PriorityLong",
              "Name")
#: Every job (array tasks one a line), finished ones too while slurmctld keeps them.
SQUEUE_ARGV = ("squeue", "--noheader", "--array", "--states=all",
               "--Format=" + ",".join(f"{f}:|" for f in _SQ_FIELDS[:-1]) + f",{_SQ_FIELDS[-1]}:")
#: The same jobs with the GPU indices Slurm gave each (``gres_detail``), which no
#: --Format field shows: JSON in slurmrestd's shapes (restapi.parse_jobs reads it).
#: ``--states=all``: 24.11 and later filter --json like text (22.05 ignores filters).
SQUEUE_JSON_ARGV = ("squeue", "--json", "--states=all")
_SA_FIELDS = ("JobID", "State", "Reason", "Submit", "Start", "End", "User", "Partition",
              "NCPUS", "NodeList", "ExitCode", "JobName")
#: Allocations only (-X), every user (-a); add -S/-j to narrow.
SACCT_ARGV = ("sacct", "--noheader", "--parsable2", "-X", "-a",
              "--format=" + ",".join(_SA_FIELDS))
_NO_NODES = {"", "None assigned", "(null)"}


@dataclass(frozen=True, slots=True)
class JobRecord:
    """One job as a status command saw it. ``start`` is None unless it ran."""

    job_id: str
    name: str
    state: str              # wlgen's state (see states.normalize)
    raw_state: str
    reason: str
    submit: float | None
    start: float | None
    end: float | None
    user: str
    partition: str
    cpus: int
    nodes: tuple[str, ...]
    exit_code: int | None = None
    priority: int | None = None   # Slurm's number (squeue and slurmrestd; not sacct)
    gpus: tuple[str, ...] = ()    # "node:index" of each GPU it holds, where Slurm says


def parse_sbatch(stdout: str) -> str:
    """The job id from ``sbatch --parsable`` ("123" or "123;cluster")."""
    first = stdout.strip().splitlines()[0] if stdout.strip() else ""
    job_id = first.split(";")[0].strip()
    if not job_id.isdigit():
        raise ValueError(f"sbatch printed no job id: {stdout.strip()[:200]!r}")
    return job_id


def epoch(text: str) -> float | None:
    """Epoch seconds, or None for Slurm's "Unknown"/"None"/"N/A"/"NONE"/0."""
    text = text.strip()
    return float(text) if text.isdigit() and text != "0" else None


def expand_hostlist(text: str) -> tuple[str, ...]:
    """``n[1-3,7],gpu1`` -> (n1, n2, n3, n7, gpu1); "None assigned" -> ()."""
    text = text.strip()
    if text in _NO_NODES:
        return ()
    out: list[str] = []
    for prefix, ranges, plain in re.findall(r"([^,\[]+)\[([^\]]+)\]|([^,\[\]]+)", text):
        if plain:
            out.append(plain)
            continue
        for part in ranges.split(","):
            lo, _, hi = part.partition("-")
            width = len(lo)
            out += [f"{prefix}{i:0{width}d}" for i in range(int(lo), int(hi or lo) + 1)]
    return tuple(out)


def exit_code(text: str) -> int | None:
    """sacct's "code:signal" as one number: the code, or 128+signal when killed."""
    code, _, signal = text.strip().partition(":")
    if not code.isdigit():
        return None
    return _code_or_signal(int(code), int(signal) if signal.isdigit() else 0)


def squeue_exit_code(text: str) -> int | None:
    """squeue's ``exit_code`` as one number, like ``exit_code``: 22.05 prints the raw
    wait status (768 = exit 3, 9 = SIGKILL), later releases sacct's "code:signal"
    (seen on 24.11 and 26.05)."""
    text = text.strip()
    if ":" in text:
        return exit_code(text)
    return wait_status_exit(int(text)) if text.isdigit() else None


def wait_status_exit(status: int) -> int | None:
    """A raw wait status (code << 8 | signal) as one number, like ``exit_code``; None
    for Slurm's NO_VAL and the like (no code known)."""
    if not 0 <= status <= 0xFFFF:
        return None
    return _code_or_signal(status >> 8, status & 0x7F)


def _code_or_signal(code: int, signal: int) -> int:
    """One number for a process's end, as a shell shows it: 128+signal when killed."""
    return 128 + signal if code == 0 and signal else code


def _record(job_id: str, raw_state: str, reason: str, submit: str, start: str, end: str,
            user: str, partition: str, cpus: str, nodes: str, name: str,
            code: int | None, priority: int | None = None) -> JobRecord:
    state = normalize(raw_state)
    hosts = expand_hostlist(nodes)
    ran = bool(hosts)   # a job cancelled while pending shows start == end and no nodes
    return JobRecord(job_id, name, state, raw_state.strip(), reason.strip(), epoch(submit),
                     epoch(start) if ran else None,
                     epoch(end) if state not in ("PENDING", "RUNNING", "REQUEUED") else None,
                     user, partition, int(cpus) if cpus.isdigit() else 0, hosts, code,
                     priority)


def priority(text: str) -> int | None:
    """squeue's PriorityLong as a number; None where Slurm prints none ("N/A")."""
    text = text.strip()
    return int(text) if text.isdigit() else None


def _rows(text: str, fields: tuple[str, ...], what: str) -> list[list[str]]:
    """The '|'-separated columns of each line; the last column (the job name, which we
    do not control for other users' jobs) may itself contain '|'."""
    rows = []
    for line in text.splitlines():
        if not line.strip():
            continue
        cols = line.split("|", len(fields) - 1)
        if len(cols) != len(fields):
            raise ValueError(f"{what} line has {len(cols)} fields, not {len(fields)}: "
                             f"{line[:200]!r}")
        rows.append(cols)
    return rows


def parse_squeue(text: str) -> list[JobRecord]:
    """Lines of ``SQUEUE_ARGV``."""
    out = []
    for job, state, why, submit, start, end, user, part, cpus, nodes, code, prio, name in \
            _rows(text, _SQ_FIELDS, "squeue"):
        out.append(_record(job, state, why, submit, start, end, user, part, cpus, nodes, name,
                           squeue_exit_code(code), priority(prio)))
    return merge_het(out)


def parse_sacct(text: str) -> list[JobRecord]:
    """Lines of ``SACCT_ARGV`` (``--parsable2``: '|' between fields, none at the end)."""
    out = []
    for job, state, why, submit, start, end, user, part, cpus, nodes, code, name in \
            _rows(text, _SA_FIELDS, "sacct"):
        out.append(_record(job, state, why, submit, start, end, user, part, cpus, nodes, name,
                           exit_code(code)))
    return merge_het(out)


def merge_het(records: list[JobRecord]) -> list[JobRecord]:
    """A heterogeneous job's component records (``17+0``, ``17+1``: squeue, sacct and
    slurmrestd show one a component) as one record under the id sbatch printed ("17"),
    so the tracker sees one job. Slurm starts the components together and they end
    together: the job started at the first component's start, ended when the last one
    did (until then it shows the first unfinished component's state), with the first
    component's state and exit code (its batch script's), every component's CPUs, nodes
    and GPUs. Other records pass through in their order."""
    groups: dict[str, list[JobRecord]] = {}
    out: list[JobRecord | str] = []
    for rec in records:
        base, plus, offset = rec.job_id.partition("+")
        if not plus or not offset.isdigit():
            out.append(rec)
            continue
        if base not in groups:
            groups[base] = []
            out.append(base)
        groups[base].append(rec)
    return [_joined(groups[item]) if isinstance(item, str) else item for item in out]


def _joined(parts: list[JobRecord]) -> JobRecord:
    parts = sorted(parts, key=lambda r: int(r.job_id.partition("+")[2]))
    first = parts[0]
    open_ = [r for r in parts if r.end is None]
    now = open_[0] if open_ else first
    starts = [r.start for r in parts if r.start is not None]
    nodes = tuple(dict.fromkeys(n for r in parts for n in r.nodes))
    return JobRecord(first.job_id.partition("+")[0], first.name, now.state, now.raw_state,
                     now.reason, first.submit, min(starts) if starts else None,
                     None if open_ else max(r.end for r in parts if r.end is not None),
                     first.user, first.partition, sum(r.cpus for r in parts), nodes,
                     first.exit_code, first.priority, tuple(g for r in parts for g in r.gpus))


def parse_ping(text: str) -> bool:
    """``scontrol ping``: True when a controller answers UP."""
    return bool(re.search(r"\bis UP\b", text))


#: One line per node and partition: name, CPUs, memory (MB), partition ("*" = default).
SINFO_ARGV = ("sinfo", "--noheader", "--Node", "--format=%N|%c|%m|%P|%G")
_GPU_GRES = re.compile(r"^gpu(?::([^:(]+))?:(\d+)")

NodeRow = tuple[str, int, int, tuple[str, ...], int, "str | None"]


def parse_sinfo(text: str) -> tuple[list[NodeRow], str | None]:
    """(nodes as (name, cpus, mem_mb, partitions, gpus, gpu type), default partition)
    from SINFO_ARGV; a line without the Gres column (older callers) has no GPUs."""
    nodes: dict[str, tuple[int, int, list[str], tuple[int, str | None]]] = {}
    default = None
    for line in text.splitlines():
        if not line.strip():
            continue
        name, cpus, mem, part, *gres = line.strip().split("|")
        if part.endswith("*"):
            part = default = part[:-1]
        entry = nodes.setdefault(name, (int(cpus), int(mem.rstrip("+") or 0), [],
                                        parse_gres("|".join(gres))))
        if part not in entry[2]:
            entry[2].append(part)
    return [(n, c, m, tuple(p), *g) for n, (c, m, p, g) in nodes.items()], default


def parse_gres(text: str) -> tuple[int, str | None]:
    """GPUs in a node's Gres: ``gpu:a100:2(S:0)`` -> (2, "a100"), ``gpu:2`` -> (2, None),
    ``(null)`` -> (0, None); other GRES (shard, mps) are not GPUs."""
    for item in text.split(","):
        found = _GPU_GRES.match(item.strip())
        if found:
            return int(found.group(2)), found.group(1)
    return 0, None


# One node's GPUs in a job's GRES detail: "gpu:2(IDX:0-1)", "gpu:a100:1(IDX:3)",
# "gpu:3(IDX:0,2-3)"; the same words in slurmrestd's/squeue --json's ``gres_detail``
# (one string per node of the job, in NodeList order) and scontrol show job -d's
# "Nodes=n1 ... GRES=gpu:2(IDX:0-1)" (22.05, 24.11 and 26.05 alike).
_GPU_IDX = re.compile(r"(?:^|,)gpu(?::[^:(,]+)?(?::\d+)?\(IDX:([^)]*)\)")


def gpu_indices(nodes: tuple[str, ...], details: list[str]) -> tuple[str, ...]:
    """("n1:0", "n1:1", ...) from a job's nodes and its GRES detail per node; () when
    Slurm gave none or the detail does not line up with the nodes (never a guess)."""
    if not details or len(details) != len(nodes):
        return ()
    out: list[str] = []
    for node, detail in zip(nodes, details):
        for found in _GPU_IDX.finditer(str(detail)):
            for part in found.group(1).split(","):
                lo, _, hi = part.partition("-")
                if not lo.isdigit() or not (hi or lo).isdigit():
                    return ()        # "IDX:N/A": Slurm knows no index
                out += [f"{node}:{i}" for i in range(int(lo), int(hi or lo) + 1)]
    return tuple(out)


def parse_version(text: str) -> str | None:
    """"slurm 22.05.8" -> "22.05.8"."""
    found = re.search(r"(\d+\.\d+\.\d+)", text)
    return found.group(1) if found else None
