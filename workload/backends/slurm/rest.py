"""The Slurm REST backend: slurmrestd with JWT, the API version read from the server.

It is the CLI backend with the commands swapped for HTTP: the same submit pool, tags,
tracker, state mapping, sbatch option validation and reconcile-before-retry (a job
whose submit answer was lost is looked up by its tag before any retry). ``RestRunner``
carries out the sbatch and scancel command lines the CLI backend builds as
job/submit and DELETE job requests; the watcher asks GET jobs once per poll for every
job of the run and reconciles the rest from slurmdb's jobs by their tags.

Reaches a wlgen container cluster (``--cluster NAME``: tokens signed per trace user with
the cluster's key, users created as for the CLI) or any slurmrestd (``--slurm-url`` and
``--slurm-token``, or SLURM_URL / SLURM_JWT: every job runs as the token's user).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import simpy

from workload.backends.base import ClusterInfo, Emit, NodeInfo
from workload.backends.slurm.cli import CliBackend
from workload.backends.slurm.parse import JobRecord
from workload.backends.slurm.restapi import (Api, job_description, parse_db_jobs,
                                             parse_default_partition, parse_jobs, parse_nodes,
                                             parse_release, parse_submit, pick_api)
from workload.backends.slurm.restclient import RestClient, RestFailure, token_user
from workload.backends.slurm.retry import backoff
from workload.backends.slurm.runner import Done, Runner, RunnerLost
from workload.backends.slurm.tags import seq_of
from workload.backends.slurm.tracker import Tracker
from workload.backends.slurm.users import UserMap
from workload.backends.slurm.watcher import Watcher
from workload.cluster.config import JOBS_PATH
from workload.errors import BackendError, InputError

if TYPE_CHECKING:
    from workload.cluster import Cluster

#: What a job's environment holds on a slurmrestd wlgen did not start (sbatch would pass
#: the submitter's; a REST job gets only what it is given). /opt/wlgen is where wlgen's
#: image keeps the jobs package; install it there (or on the nodes' python path).
DEFAULT_ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
               "LANG": "C.UTF-8", "PYTHONPATH": JOBS_PATH}
#: Variables of the container cluster's image that jobs need (PYTHONPATH: the jobs package).
_IMAGE_ENV = ("PATH", "LANG", "PYTHONPATH")
_IMAGE_ENV_PREFIXES = ("OMPI_", "PRTE_")
TOKEN_LIFESPAN_S = 24 * 3600


# -- credentials -----------------------------------------------------------------------
class ClusterTokens:
    """A JWT per user, signed with a wlgen cluster's key and renewed well before expiry."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.cache: dict[str, tuple[str, float]] = {}
        self.lock = threading.Lock()

    def __call__(self, user: str | None) -> tuple[str, str | None]:
        name = user or "root"
        with self.lock:
            token, renew_at = self.cache.get(name, ("", 0.0))
            if time.time() >= renew_at:
                token = self.cluster.token(name, lifespan=TOKEN_LIFESPAN_S)
                self.cache[name] = (token, time.time() + TOKEN_LIFESPAN_S / 2)
        return token, name


class FixedToken:
    """One token for every request: a slurmrestd wlgen did not start."""

    def __init__(self, token: str) -> None:
        self.token, self.user = token, token_user(token)

    def __call__(self, user: str | None) -> tuple[str, str | None]:
        return self.token, self.user


# -- sbatch and scancel through slurmrestd ---------------------------------------------
class RestRunner(Runner):
    """Carries out the CLI backend's sbatch and scancel command lines over REST."""

    def __init__(self, client: RestClient, api: Api, environment: Mapping[str, str],
                 user_of: Callable[[tuple[int, int]], str | None]) -> None:
        self.client, self.api, self.environment, self.user_of = client, api, environment, user_of
        #: job id -> job name of what this runner submitted: an array's tasks all carry
        #: the name of its first job, so accounting is asked by these names.
        self.names: dict[str, str] = {}

    def run(self, argv: Sequence[str], *, input: str | None = None,
            user: tuple[int, int] | None = None, timeout: float = 60) -> Done:
        if argv[0] == "sbatch":
            return self._sbatch(list(argv), input or "", self.user_of(user) if user else None)
        if argv[0] == "scancel":
            return self._scancel(argv[1:])
        raise RunnerLost(f"{argv[0]} has no slurmrestd equivalent here")

    def _sbatch(self, argv: list[str], script: str, user: str | None) -> Done:
        body = job_description(argv, script, self.environment, self.api)
        try:
            job_id = parse_submit(self.client.call("POST", self.api.slurm("job/submit"), body,
                                                   user=user))
            self.names[job_id] = body["job"]["name"]
            return Done(0, job_id, "")
        except (RestFailure, ValueError) as error:
            # The CLI backend files the text with retry.classify, as it does sbatch's.
            return Done(1, "", str(error))

    def _scancel(self, ids: Sequence[str]) -> Done:
        failed = []
        for job_id in ids:
            try:
                self.client.call("DELETE", self.api.job(job_id))
            except (RestFailure, ValueError) as error:   # e.g. it ended meanwhile, as scancel
                failed.append(f"{job_id}: {error}")
        return Done(1 if failed else 0, "", "\n".join(failed))


# -- the watcher -----------------------------------------------------------------------
class RestWatcher(Watcher):
    """The CLI backend's watcher with its two queries answered by slurmrestd: squeue is
    one GET jobs for the whole run, sacct -j (the jobs the queue no longer shows) one
    GET slurmdb jobs by their tags."""

    runner: RestRunner

    def __init__(self, runner: RestRunner, accounting: bool, tracker: Tracker,
                 lock: threading.Lock, prefix: str, emit: Emit) -> None:
        super().__init__(runner, tracker, lock, prefix, emit)
        self.client, self.api, self.accounting = runner.client, runner.api, accounting

    def _query(self, argv: Iterable[str], parser: Callable[[str], list[JobRecord]]
               ) -> list[JobRecord] | None:
        """Records, or None when the request failed (try again next poll)."""
        argv = list(argv)
        try:
            if argv[0] != "sacct":
                return parse_jobs(self.client.call("GET", self.api.slurm("jobs")))
            if not self.accounting:
                return []
            names = {"job_name": ",".join(self._names(argv[-1].split(",")))}
            return parse_db_jobs(self.client.call("GET", self.api.slurmdb("jobs"), query=names))
        except RestFailure as error:
            self.errors += 1
            self.last_error = str(error)[-300:]
            return None

    def _names(self, job_ids: list[str]) -> list[str]:
        """The tags to ask accounting for: an array's tasks all carry its first job's."""
        with self.lock:
            seqs = {job: seq for seq, job in self.tracker.unfinished().items()}
        names = {self.runner.names.get(job.split("_", 1)[0]) or
                 (f"{self.prefix}{seqs[job]}" if job in seqs else None) for job in job_ids}
        return sorted(n for n in names if n)


# -- the backend -----------------------------------------------------------------------
class RestBackend(CliBackend):
    """Real Slurm through slurmrestd at ``client.url``; see the module docstring."""

    def __init__(self, client: RestClient, *, users: UserMap | None = None,
                 account: str | None = None, environment: Mapping[str, str] | None = None,
                 workers: int = 8, launcher: str = "srun", cluster_name: str = "slurm",
                 mem_per_cpu_mb: int | None = None, arrays: bool = True) -> None:
        self.client = client
        self.api, self.accounting, self.release = connect(client)
        users = users or UserMap()
        runner = RestRunner(client, self.api, dict(environment or DEFAULT_ENV),
                            lambda ids: _name_of(users, ids))
        super().__init__(runner, users=users, account=account, workers=workers,
                         launcher=launcher, cluster_name=cluster_name,
                         mem_per_cpu_mb=mem_per_cpu_mb, arrays=arrays)

    def attach(self, env: simpy.Environment, emit: Emit, epoch: float, run_id: str = "") -> None:
        super().attach(env, emit, epoch, run_id)
        # The CLI's watcher (idle: no job is tracked yet) would run squeue; swap in one
        # that asks slurmrestd, before anything is submitted.
        assert self.watcher is not None and isinstance(self.runner, RestRunner)
        self.watcher.stop()
        self.watcher = RestWatcher(self.runner, self.accounting, self.tracker, self.lock,
                                   self.prefix, emit)
        self.watcher.start()

    def describe(self) -> ClusterInfo:
        if self.info is None:
            nodes = parse_nodes(self._get(self.api.slurm("nodes")))
            default = parse_default_partition(self._get(self.api.slurm("partitions")))
            self.info = ClusterInfo(self.cluster_name, tuple(NodeInfo(*n) for n in nodes),
                                    self.partition or default or "batch", self.release,
                                    self.api.version)
        return self.info

    def _find(self, name: str, deadline: float) -> str | None:
        """The id of the job named ``name``, or None once slurmctld says there is none."""
        attempt = 0
        while time.monotonic() < deadline:
            attempt += 1
            try:
                records = parse_jobs(self.client.call("GET", self.api.slurm("jobs")))
            except RestFailure:
                time.sleep(backoff(attempt))
                continue
            hits = [r.job_id for r in records
                    if r.name == name and seq_of(r.name, self.prefix) is not None]
            return hits[0].split("_", 1)[0] if hits else None   # an array's tasks: its id
        raise BackendError(f"could not ask slurmctld whether job {name} exists")

    def _get(self, path: str) -> dict[str, Any]:
        try:
            return self.client.call("GET", path)
        except RestFailure as error:
            raise BackendError(f"slurmrestd at {self.client.url}: GET {path}: {error}") from None


def _name_of(users: UserMap, ids: tuple[int, int]) -> str | None:
    """The user name UserMap gave ``ids`` to (the token is made for the name)."""
    return next((name for name, known in users.ids.items() if known == ids), None)


def connect(client: RestClient) -> tuple[Api, bool, str | None]:
    """(API version, accounting offered, Slurm release) of the server, checking the token.

    Every failure is one line naming the URL and what to do."""
    url = client.url
    try:
        openapi = client.call("GET", "/openapi/v3")
    except RestFailure as error:
        _refused(url, error)
        raise BackendError(f"slurmrestd at {url} does not answer ({error}): is it running "
                           f"and is the URL right? (--slurm-url or SLURM_URL)") from None
    try:
        api = pick_api(openapi)
    except ValueError as error:
        raise BackendError(f"slurmrestd at {url} speaks no API version wlgen knows: {error}; "
                           f"use --slurm-client cli on a login node") from None
    try:
        answer = client.call("GET", api.slurm("partitions"))
    except RestFailure as error:
        # 22.05 answers a well-formed token that slurmctld refuses with 500 "Unspecified error".
        if error.status == 500 and "Unspecified error" in str(error):
            error.status = 401
        _refused(url, error)
        raise BackendError(f"slurmrestd at {url} cannot reach slurmctld: {error}") from None
    accounting = api.slurmdb("jobs") in (openapi.get("paths") or {})
    return api, accounting, parse_release(answer)


def _refused(url: str, error: RestFailure) -> None:
    """InputError (exit 2) when ``error`` is slurmrestd refusing the token."""
    if error.auth:
        raise InputError(f"slurmrestd at {url} refused the token ({error}): pass a valid, "
                         f"unexpired JWT for this cluster with --slurm-token or SLURM_JWT "
                         f"(`scontrol token lifespan=86400` makes one)")


def make_rest_backend(cluster: Cluster | None, url: str | None, token: str | None, *,
                      workers: int = 8, launcher: str = "srun",
                      arrays: bool = True) -> RestBackend:
    """The REST backend for ``url`` + ``token`` when a URL is given, else for ``cluster``."""
    if url:
        if not token:
            raise InputError(f"slurmrestd at {url} needs a JWT: pass --slurm-token or set "
                             f"SLURM_JWT (`scontrol token lifespan=86400` makes one)")
        return RestBackend(RestClient(url, FixedToken(token)), workers=workers,
                           launcher=launcher, cluster_name=url, arrays=arrays)
    if cluster is None:
        raise InputError("--slurm-client rest needs a slurmrestd: --slurm-url URL and "
                         "--slurm-token JWT (or SLURM_URL / SLURM_JWT), or --cluster NAME "
                         "of a running `wlgen cluster up`")
    # As the CLI backend: jobs run as the trace's users under account wlgen, and each
    # CPU gets its share of a node's memory (slurm.conf has no DefMemPerCPU).
    return RestBackend(RestClient(cluster.rest_url, ClusterTokens(cluster)),
                       users=UserMap(cluster.add_users), account="wlgen",
                       environment=image_environment(cluster), workers=workers,
                       launcher=launcher, cluster_name=cluster.name, arrays=arrays,
                       mem_per_cpu_mb=cluster.spec.mem_per_cpu_mb)


def image_environment(cluster: Cluster) -> dict[str, str]:
    """What jobs need of the cluster image's environment (sbatch in the controller would
    pass it on; a REST job gets only what the request holds)."""
    out = cluster.slurm(["env"])
    pairs = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    return {k: v for k, v in pairs.items()
            if k in _IMAGE_ENV or k.startswith(_IMAGE_ENV_PREFIXES)} or dict(DEFAULT_ENV)
