"""``python3 -m jobs KERNEL --seconds T [options]``: run one kernel, print one JSON line.

Examples::

    python3 -m jobs cpu --seconds 30 --duty 0.5
    mpirun -np 4 python3 -m jobs allreduce --seconds 60 --size 1048576
    srun --mpi=pmix python3 -m jobs mixed --seconds 600 --kernels cpu,halo,io

Exit status: 0, or ``--fail-exit CODE``, or 128+signal when stopped by SIGTERM/SIGINT
(143 for Slurm's time limit or scancel), or 2 for a usage error.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Sequence

from jobs.registry import COMMON, KERNELS, Option


def _argument(parser: argparse.ArgumentParser, option: Option) -> None:
    if option.kind is bool:
        parser.add_argument(option.flag, action="store_true", help=option.help)
        return

    def convert(text: str) -> object:
        try:
            return option.convert(text)
        except ValueError as error:  # argparse turns this into a usage error (exit 2)
            raise argparse.ArgumentTypeError(str(error)) from None

    convert.__name__ = option.kind.__name__
    parser.add_argument(option.flag, type=convert, default=option.default,
                        help=f"{option.help} (default: {option.default!r})")


def build_parser() -> argparse.ArgumentParser:
    """The CLI, built from jobs.registry so the batch-script builder agrees with it."""
    parser = argparse.ArgumentParser(
        prog="python3 -m jobs", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    kernels = parser.add_subparsers(dest="kernel", required=True, metavar="KERNEL")
    for kernel in KERNELS.values():
        sub = kernels.add_parser(kernel.name, help=kernel.summary, description=kernel.summary)
        for option in COMMON + kernel.options:
            _argument(sub, option)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    opts = build_parser().parse_args(argv)
    # Imported after parsing so --help and usage errors never start MPI.
    from jobs.comm import open_comm
    from jobs.kernels import RUNNERS
    from jobs.result import RankReport, emit, summarize
    from jobs.timing import Clock, Stop, forever, process_age, runqueue_wait

    comm = open_comm()
    stop = Stop()
    stop.install()  # after MPI init, so our handler is the one left in place
    comm.barrier()  # a common start: the clocks of all ranks begin together
    clock = Clock(forever() if opts.overrun else opts.seconds, stop)
    if opts.include_startup:
        clock.start -= process_age()
    cpu0, wait0 = time.process_time(), runqueue_wait()
    tally = RUNNERS[opts.kernel](comm, opts, clock)
    mine = RankReport(clock.elapsed(), time.process_time() - cpu0, tally,
                      runqueue_wait() - wait0)
    code = 128 + stop.signum if stop.requested else opts.fail_exit
    record = summarize(comm, opts.kernel, clock.seconds, mine,
                       terminated=stop.requested, exit_code=code)
    if record is not None:
        emit(record, sys.stdout)
    return code


if __name__ == "__main__":
    sys.exit(main())
