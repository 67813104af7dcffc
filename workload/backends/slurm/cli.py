"""The Slurm client commands as a SlurmClient: sbatch, scancel, squeue, sacct, scontrol.

Commands run through a Runner (this host's clients, or a relay into a container
cluster's controller); each answer is parsed by the pure parsers of parse.py. Every
failure becomes a ClientFailure whose verdict comes from the command's own words.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from workload.backends.base import NodeInfo
from workload.backends.slurm.client import ClientFailure, Described, User
from workload.backends.slurm.command import sbatch_argv
from workload.backends.slurm.parse import (SACCT_ARGV, SINFO_ARGV, SQUEUE_ARGV,
                                           SQUEUE_JSON_ARGV, JobRecord, parse_sacct,
                                           parse_sbatch, parse_sinfo, parse_squeue,
                                           parse_version)
from workload.backends.slurm.request import SubmitRequest
from workload.backends.slurm.restapi import parse_jobs
from workload.backends.slurm.retry import AMBIGUOUS, REJECT, classify
from workload.backends.slurm.runner import Done, Runner, RunnerLost

SBATCH_TIMEOUT_S = 60.0
QUERY_TIMEOUT_S = 60.0
CANCEL_CHUNK = 500
# scancel's refusal of one job: "scancel: error: Kill job error on job id 2: Access/..."
REFUSED_JOB = re.compile(r"error on job id (\S+?):")
SACCT_CHUNK = 400          # job ids per sacct call (argv length stays small)


class CliClient:
    """Slurm's commands, run by ``runner``."""

    def __init__(self, runner: Runner) -> None:
        self.runner = runner
        self.warm_users = runner.warm_users
        #: Poll with squeue --json (which names each job's GPUs) on a cluster with GPUs.
        self.gpus_seen = False

    def describe(self) -> Described:
        nodes, default = parse_sinfo(self._must(list(SINFO_ARGV)))
        self.gpus_seen = any(n[4] for n in nodes)
        release = parse_version(self._must(["sinfo", "--version"]))
        return Described(tuple(NodeInfo(*n) for n in nodes), default, release)

    def submit(self, request: SubmitRequest, user: User | None) -> str:
        done = self._run(sbatch_argv(request), input=request.script,
                         user=user.ids if user else None, timeout=SBATCH_TIMEOUT_S)
        if done.rc != 0:
            raise ClientFailure(done.err.strip() or f"sbatch exited {done.rc}")
        try:
            return parse_sbatch(done.out)
        except ValueError as error:   # it said yes but printed no id: nothing to track
            raise ClientFailure(str(error), REJECT) from None

    def cancel(self, job_ids: Sequence[str]) -> None:
        """scancel in chunks. A job that ended meanwhile, or was purged since, is no
        failure: scancel says nothing and exits 0 (22.05-26.05). Anything else it says
        with a non-zero exit (denied: 210, no controller: 8, on 24.11) is ClientFailure.
        After a refusal the other chunks are sent; after no answer they are not (each
        would wait as long: one try stays one timeout), and the failure says how many
        jobs were not tried."""
        failures, verdict, named = [], REJECT, set()
        for i in range(0, len(job_ids), CANCEL_CHUNK):
            done = self._run(["scancel", *job_ids[i:i + CANCEL_CHUNK]],
                             timeout=QUERY_TIMEOUT_S)
            if done.rc == 0:
                continue
            failures.append(done.err.strip()[-300:] or f"scancel exited {done.rc}")
            if classify(failures[-1]) != REJECT:
                verdict = classify(failures[-1])
                left = len(job_ids) - i - CANCEL_CHUNK
                if left > 0:
                    failures.append(f"{left} job(s) not tried")
                break
            named |= set(REFUSED_JOB.findall(done.err)) or set(job_ids[i:i + CANCEL_CHUNK])
        if failures:
            # A refusal names each job it is about; scancel cancelled the chunk's others.
            raise ClientFailure("; ".join(failures), verdict,
                                named if verdict == REJECT else None)

    def queue(self, name: str | None = None) -> list[JobRecord]:
        if name is None and self.gpus_seen:
            return parse_jobs(_json(self._must(list(SQUEUE_JSON_ARGV))))
        argv = [*SQUEUE_ARGV, *([f"--name={name}"] if name else [])]
        return parse_squeue(self._must(argv))

    def accounting(self, job_ids: Sequence[str]) -> list[JobRecord]:
        out: list[JobRecord] = []
        for i in range(0, len(job_ids), SACCT_CHUNK):
            chunk = ",".join(job_ids[i:i + SACCT_CHUNK])
            out += parse_sacct(self._must([*SACCT_ARGV, "-j", chunk]))
        return out

    def release(self, job_ids: Sequence[str]) -> None:
        self._must(["scontrol", "release", *job_ids])

    def warm(self, user: User) -> None:
        if user.ids is not None:
            self.runner.warm(user.ids)

    def close(self) -> None:
        self.runner.close()

    def _run(self, argv: list[str], *, input: str | None = None,
             user: tuple[int, int] | None = None, timeout: float) -> Done:
        try:
            return self.runner.run(argv, input=input, user=user, timeout=timeout)
        except RunnerLost as error:   # its fate is unknown: it may have happened
            raise ClientFailure(f"{argv[0]}: {error}", AMBIGUOUS) from None

    def _must(self, argv: list[str]) -> str:
        done = self._run(argv, timeout=QUERY_TIMEOUT_S)
        if done.rc != 0:
            raise ClientFailure(f"{' '.join(argv[:2])} failed: {done.err.strip()[-300:]}")
        return done.out


def _json(text: str) -> dict:
    try:
        doc = json.loads(text)
    except ValueError:
        raise ClientFailure(f"squeue --json printed no JSON: {text[:200]!r}") from None
    return doc if isinstance(doc, dict) else {}
