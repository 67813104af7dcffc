"""What a job's SubmitLine says that its other columns do not: dependencies, --begin, -N.

Slurm stores the command line as typed, unquoted (``--wrap sleep 2; exit 3``): options
are read only up to ``--wrap``, whose text is the job's, not sbatch's. Options given in
``#SBATCH`` lines of a script are not in the submit line and cannot be recovered.
"""

from __future__ import annotations

import re

KINDS = frozenset({"after", "afterok", "afterany", "afternotok", "aftercorr",
                   "afterburstbuffer", "singleton"})
_DEPENDENCY = re.compile(r"(?:^|\s)(?:--dependency[= ]|-d\s?)(\S+)")
_BEGIN = re.compile(r"(?:^|\s)(?:--begin[= ]|-b\s?)\S+")
_NODES = re.compile(r"(?:^|\s)(?:--nodes[= ]|-N\s?)(\d+)")
_GPUS_PER_NODE = re.compile(r"(?:^|\s)--gpus-per-node[= ](?:[A-Za-z0-9_.-]+:)?(\d+)(?:\s|$)")
_THROTTLE = re.compile(r"(?:^|\s)(?:--array[= ]|-a\s?)\S*%(\d+)(?:\s|$)")


def options(line: str | None) -> str:
    """The part of a submit line that is sbatch's options (up to ``--wrap``)."""
    if not line:
        return ""
    head, _, _ = line.partition(" --wrap")
    return head


def dependencies(line: str | None) -> tuple[tuple[tuple[str, tuple[int, ...]], ...], bool]:
    """``--dependency=afterok:1:2,singleton`` -> ((afterok, (1, 2)), (singleton, ())), and
    whether the parts were joined by ``?`` (any one suffices) rather than ``,`` (all).

    ``after:12+5`` keeps job 12 (the +minutes delay is not replayed). Raises ValueError
    on a kind Slurm does not have or a job id that is not a number.
    """
    match = _DEPENDENCY.search(options(line))
    if not match:
        return (), False
    text = match.group(1)
    any_of = "?" in text
    out = []
    for part in re.split(r"[,?]", text):
        kind, _, rest = part.partition(":")
        if kind not in KINDS:
            raise ValueError(f"dependency kind {kind!r} is none of {', '.join(sorted(KINDS))}")
        ids = []
        for item in filter(None, rest.split(":")):
            job = item.split("+", 1)[0].split("_", 1)[0]
            if not job.isdigit():
                raise ValueError(f"dependency job id {item!r} is not a number")
            ids.append(int(job))
        out.append((kind, tuple(ids)))
    return tuple(out), any_of


def used_begin(line: str | None) -> bool:
    """True when the job was submitted with ``--begin`` (its Eligible is its submit)."""
    return bool(_BEGIN.search(options(line)))


def array_throttle(line: str | None) -> int | None:
    """N of ``--array=0-5%N``: at most N of the array's tasks run at once (None: no limit)."""
    match = _THROTTLE.search(options(line))
    return int(match.group(1)) or None if match else None


def gpus_per_node(line: str | None) -> int | None:
    """N of ``--gpus-per-node=N`` (or ``=TYPE:N``), None when the line has none."""
    match = _GPUS_PER_NODE.search(options(line))
    return int(match.group(1)) if match else None


def node_count(line: str | None) -> int | None:
    """The node count asked for with ``-N``/``--nodes`` (the lower bound of a range)."""
    match = _NODES.search(options(line))
    return int(match.group(1)) if match else None
