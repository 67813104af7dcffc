"""The communicator: mpi4py's COMM_WORLD, or a one-rank stub when mpi4py is absent.

Kernels see only the small interface below, so ``sleep``/``cpu``/``io``/``memory`` run
in an image without mpi4py, and collective kernels degrade to local copies on one rank.
"""

from __future__ import annotations

import os
import re
from types import ModuleType
from typing import Mapping, MutableMapping, Protocol


class Comm(Protocol):
    rank: int
    size: int

    def barrier(self) -> None: ...
    def agree_stop(self, stop: bool) -> bool: ...
    def gather(self, value: object) -> list[object] | None: ...
    def allreduce(self, send: bytearray, recv: bytearray) -> None: ...
    def alltoall(self, send: bytearray, recv: bytearray) -> None: ...
    def sendrecv(self, send: bytearray, dest: int, recv: bytearray, source: int) -> None: ...
    def send(self, buf: bytearray, dest: int) -> None: ...
    def recv(self, buf: bytearray, source: int) -> None: ...


class StubComm:
    """One rank, no MPI: every collective is a local copy."""

    rank, size = 0, 1

    def barrier(self) -> None:
        pass

    def agree_stop(self, stop: bool) -> bool:
        return stop

    def gather(self, value: object) -> list[object] | None:
        return [value]

    def allreduce(self, send: bytearray, recv: bytearray) -> None:
        recv[:] = send

    def alltoall(self, send: bytearray, recv: bytearray) -> None:
        recv[:] = send

    def sendrecv(self, send: bytearray, dest: int, recv: bytearray, source: int) -> None:
        recv[:] = send

    def send(self, buf: bytearray, dest: int) -> None:
        raise RuntimeError("a single rank has no peer to send to")

    recv = send


class MpiComm:
    """COMM_WORLD through buffer-based calls (no pickling inside the loops)."""

    def __init__(self, mpi: ModuleType) -> None:   # mpi4py.MPI (no stubs: attributes are Any)
        self._mpi = mpi
        self._world = mpi.COMM_WORLD
        self.rank, self.size = self._world.Get_rank(), self._world.Get_size()
        self._flag = bytearray(1)

    def barrier(self) -> None:
        self._world.Barrier()

    def agree_stop(self, stop: bool) -> bool:
        # Rank 0 alone decides, so every rank leaves the loop after the same iteration.
        self._flag[0] = 1 if stop else 0
        self._world.Bcast([self._flag, self._mpi.BYTE], root=0)
        return bool(self._flag[0])

    def gather(self, value: object) -> list[object] | None:
        # Once per run, so pickling is fine; rank 0 gets the list, the others None.
        return self._world.gather(value, root=0)

    def allreduce(self, send: bytearray, recv: bytearray) -> None:
        byte = self._mpi.BYTE
        self._world.Allreduce([send, byte], [recv, byte], op=self._mpi.BOR)

    def alltoall(self, send: bytearray, recv: bytearray) -> None:
        self._world.Alltoall([send, self._mpi.BYTE], [recv, self._mpi.BYTE])

    def sendrecv(self, send: bytearray, dest: int, recv: bytearray, source: int) -> None:
        byte = self._mpi.BYTE
        self._world.Sendrecv([send, byte], dest, 0, [recv, byte], source, 0)

    def send(self, buf: bytearray, dest: int) -> None:
        self._world.Send([buf, self._mpi.BYTE], dest, 0)

    def recv(self, buf: bytearray, source: int) -> None:
        self._world.Recv([buf, self._mpi.BYTE], source, 0)


# Open MPI settings applied unless the caller set them. Ring allreduce and pairwise
# alltoall send exactly the bytes the kernels count as intended, so port counters can
# be compared with ``bytes_sent``.
_OMPI_DEFAULTS = {
    "OMPI_MCA_coll_tuned_use_dynamic_rules": "1",
    "OMPI_MCA_coll_tuned_allreduce_algorithm": "4",
    "OMPI_MCA_coll_tuned_alltoall_algorithm": "2",
}


def local_ranks(env: Mapping[str, str]) -> int:
    """How many ranks of this job share this node, from the launcher's environment."""
    if "OMPI_COMM_WORLD_LOCAL_SIZE" in env:
        return int(env["OMPI_COMM_WORLD_LOCAL_SIZE"])
    # Slurm: "2(x3),1" lists tasks per node; SLURM_NODEID says which entry is ours.
    spec = env.get("SLURM_STEP_TASKS_PER_NODE", "")
    counts: list[int] = []
    for count, repeat in re.findall(r"(\d+)(?:\(x(\d+)\))?", spec):
        counts += [int(count)] * int(repeat or 1)
    node = int(env.get("SLURM_NODEID", "0"))
    return counts[node] if node < len(counts) else 1


def tune_environment(env: MutableMapping[str, str], cores: int) -> None:
    """Open MPI defaults; busy-polling ranks must yield when they outnumber the cores.

    Without yield_when_idle, oversubscribed ranks spin against each other and latency
    goes from ~12 us to milliseconds (shared/notes/platform.md, MPI).
    """
    for key, value in _OMPI_DEFAULTS.items():
        env.setdefault(key, value)
    if local_ranks(env) > cores:
        env.setdefault("OMPI_MCA_mpi_yield_when_idle", "1")


# Set by the launchers that start ranks: mpirun (Open MPI) and srun --mpi=pmix.
_LAUNCHER_KEYS = ("OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK")


def launched(env: Mapping[str, str]) -> bool:
    """True when an MPI launcher started this process (or WLGEN_MPI=1 asks for MPI).

    Without one, MPI_Init makes a singleton and Open MPI forks an orted daemon for it:
    ~0.5 s of CPU and a process per job, paid by every one-task job of a storm."""
    return env.get("WLGEN_MPI") == "1" or any(key in env for key in _LAUNCHER_KEYS)


def open_comm() -> Comm:
    """COMM_WORLD under an MPI launcher (if mpi4py imports), else the one-rank stub.

    Several ranks without mpi4py would each think they are rank 0 and print their own
    result, so that is an error rather than a quiet misreport.
    """
    tune_environment(os.environ, len(os.sched_getaffinity(0)))
    if not launched(os.environ):
        return StubComm()
    try:
        from mpi4py import MPI
    except ImportError as error:
        if local_ranks(os.environ) > 1:
            raise ImportError(f"{local_ranks(os.environ)} ranks need mpi4py: {error}") from error
        return StubComm()
    return MpiComm(MPI)
