"""Kernels that exchange messages between ranks, all in lock-step under rank 0's clock.

``bytes_sent`` counts the payload each rank intends to send to other ranks (never to
itself), per iteration:

============  ===============================================  ==================
kernel        per rank                                         whole job
============  ===============================================  ==================
allreduce     share of 2(n-1)S (ring: reduce-scatter+gather)   2(n-1)S
alltoall      (n-1)S, S per destination                        n(n-1)S
ring          S to rank+1                                      nS   (n > 1)
halo          S to rank-1 and S to rank+1                      2nS  (n > 1)
pingpong      S to its partner (pairs 0-1, 2-3, ...)           2S x pairs
============  ===============================================  ==================
"""

from __future__ import annotations

import argparse
from typing import Callable

from jobs.comm import Comm
from jobs.loop import Tally, run_steps
from jobs.timing import Clock


def _run(comm: Comm, opts: argparse.Namespace, clock: Clock,
         step: Callable[[], object], per_iteration: int) -> Tally:
    iterations = run_steps(comm, clock, step, rate=opts.rate)
    return Tally(iterations=iterations, bytes_sent=iterations * per_iteration)


def allreduce(comm: Comm, opts: argparse.Namespace, clock: Clock) -> Tally:
    send, recv = bytearray(opts.size), bytearray(opts.size)
    total = 2 * (comm.size - 1) * opts.size
    # Spread the remainder so the ranks' shares add up to the job total exactly.
    share = total // comm.size + (1 if comm.rank < total % comm.size else 0)
    return _run(comm, opts, clock, lambda: comm.allreduce(send, recv), share)


def alltoall(comm: Comm, opts: argparse.Namespace, clock: Clock) -> Tally:
    send, recv = bytearray(opts.size * comm.size), bytearray(opts.size * comm.size)
    per_rank = (comm.size - 1) * opts.size
    return _run(comm, opts, clock, lambda: comm.alltoall(send, recv), per_rank)


def _neighbours(comm: Comm) -> tuple[int, int]:
    return (comm.rank - 1) % comm.size, (comm.rank + 1) % comm.size


def ring(comm: Comm, opts: argparse.Namespace, clock: Clock) -> Tally:
    send, recv = bytearray(opts.size), bytearray(opts.size)
    left, right = _neighbours(comm)
    per_rank = opts.size if comm.size > 1 else 0
    return _run(comm, opts, clock, lambda: comm.sendrecv(send, right, recv, left), per_rank)


def halo(comm: Comm, opts: argparse.Namespace, clock: Clock) -> Tally:
    send, recv = bytearray(opts.size), bytearray(opts.size)
    left, right = _neighbours(comm)

    def step() -> None:
        comm.sendrecv(send, right, recv, left)   # shift right ...
        comm.sendrecv(send, left, recv, right)   # ... then left

    return _run(comm, opts, clock, step, 2 * opts.size if comm.size > 1 else 0)


def pingpong(comm: Comm, opts: argparse.Namespace, clock: Clock) -> Tally:
    buf = bytearray(opts.size)
    partner = comm.rank ^ 1
    if partner >= comm.size:  # the odd rank out (or a lone rank) only keeps step
        return _run(comm, opts, clock, lambda: None, 0)
    first, second = (comm.send, comm.recv) if comm.rank % 2 == 0 else (comm.recv, comm.send)

    def step() -> None:
        first(buf, partner)
        second(buf, partner)

    return _run(comm, opts, clock, step, opts.size)
