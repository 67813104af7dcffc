"""slurmrestd as a SlurmClient, with JWT; the API version read from the server.

The backend above it is the CLI's (backend.SlurmBackend): the same submit pool, tags,
tracker, state mapping, request validation and reconcile-before-retry. Only the four
verbs differ: POST job/submit with the request rendered by restapi.py, DELETE job,
one GET jobs per poll for the whole queue, and GET slurmdb jobs by the jobs' tags.

Reaches a wlgen container cluster (``--cluster NAME``: tokens signed per trace user with
the cluster's key, users created as for the CLI) or any slurmrestd (``--slurm-url`` and
``--slurm-token``, or SLURM_URL / SLURM_JWT: every job runs as the token's user).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from workload.backends.base import NodeInfo
from workload.backends.slurm.client import ClientFailure, Described, User
from workload.backends.slurm.parse import JobRecord
from workload.backends.slurm.request import SubmitRequest
from workload.backends.slurm.restapi import (Api, job_description, parse_db_jobs,
                                             parse_default_partition, parse_jobs, parse_nodes,
                                             parse_release, parse_submit, pick_api)
from workload.backends.slurm.restclient import RestClient, RestFailure, token_user
from workload.backends.slurm.retry import REJECT, RETRY, classify
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


# -- the client ------------------------------------------------------------------------
class RestSlurmClient:
    """slurmrestd at ``http.url`` as a SlurmClient: job/submit, DELETE job, GET jobs
    (one request for the whole queue) and GET slurmdb jobs (by the jobs' tags)."""

    warm_users = 0

    def __init__(self, http: RestClient, environment: Mapping[str, str] | None = None) -> None:
        self.http, self.environment = http, dict(environment or DEFAULT_ENV)
        self.api, self.accounting_offered, self.release_name = connect(http)
        #: job id -> job name of what was submitted or found by name: an array's tasks
        #: all carry the name of its first job, and accounting is asked by names.
        self.names: dict[str, str] = {}

    def describe(self) -> Described:
        nodes = parse_nodes(self._call("GET", self.api.slurm("nodes")))
        default = parse_default_partition(self._call("GET", self.api.slurm("partitions")))
        return Described(tuple(NodeInfo(*n) for n in nodes), default, self.release_name,
                         self.api.version)

    def submit(self, request: SubmitRequest, user: User | None) -> str:
        body = job_description(request, self.environment, self.api)
        answer = self._call("POST", self.api.slurm("job/submit"), body,
                            user=user.name if user else None)
        try:
            job_id = parse_submit(answer)
        except ValueError as error:   # Slurm's words: filed by the same rules as sbatch's
            raise ClientFailure(str(error)) from None
        self.names[job_id] = request.name
        return job_id

    def cancel(self, job_ids: Sequence[str]) -> None:
        """DELETE each job; one that already ended (or was purged since) is no failure,
        any other answer raises ClientFailure naming the jobs (RETRY when slurmrestd or
        slurmctld did not answer, REJECT when Slurm said no). After a refusal the other
        jobs are tried; after no answer they are not (each would wait as long: one try
        stays one timeout), and the failure says how many were not tried."""
        failed: list[tuple[str, str, str]] = []
        for n, job_id in enumerate(job_ids):
            failed += self._cancel_one(job_id)
            if failed and failed[-1][2] != REJECT:
                left = len(job_ids) - n - 1
                if left:
                    failed.append(("...", f"{left} job(s) not tried", failed[-1][2]))
                break
        if failed:
            verdict = REJECT if all(v == REJECT for _, _, v in failed) else RETRY
            words = "; ".join(f"job {job}: {text}" for job, text, _ in failed[:5])
            raise ClientFailure(f"slurmrestd at {self.http.url}: cancelling {words}"
                                f"{' ...' if len(failed) > 5 else ''}", verdict,
                                {job for job, _, _ in failed} if verdict == REJECT else None)

    def _cancel_one(self, job_id: str) -> list[tuple[str, str, str]]:
        """(job, words, verdict) of each failure of one DELETE ([]: cancelled or ended)."""
        try:
            return [(job_id, *f) for f in cancel_failures(
                self.http.call("DELETE", self.api.job(job_id)))]
        except RestFailure as error:
            if _errors(error.doc):   # Slurm's words (22.05 answers 500 with them)
                return [(job_id, *f) for f in cancel_failures(error.doc)]
            # no answer of Slurm's: refused, reset, timed out, token
            return [(job_id, str(error), REJECT if error.auth else classify(str(error)))]

    def queue(self, name: str | None = None) -> list[JobRecord]:
        records = parse_jobs(self._call("GET", self.api.slurm("jobs")))
        if name is None:
            return records
        found = [r for r in records if r.name == name]
        self.names.update((r.job_id.split("_", 1)[0], name) for r in found)
        return found

    def accounting(self, job_ids: Sequence[str]) -> list[JobRecord]:
        if not self.accounting_offered:
            return []
        names = sorted({self.names[j.split("_", 1)[0]] for j in job_ids
                        if j.split("_", 1)[0] in self.names})
        if not names:
            return []
        wanted = set(job_ids)
        doc = self._call("GET", self.api.slurmdb("jobs"), query={"job_name": ",".join(names)})
        return [r for r in parse_db_jobs(doc) if r.job_id in wanted]

    def release(self, job_ids: Sequence[str]) -> None:
        """POST job/{id} with ``{"hold": false}``: what ``scontrol release`` does (tried on
        22.05, 24.11 and 26.05: a held job pends again and runs). Without it a job held
        after a failed launch would pend for ever and the run never end."""
        for job_id in job_ids:
            answer = self._call("POST", self.api.job(job_id), {"hold": False})
            if _errors(answer):
                raise ClientFailure(f"slurmrestd at {self.http.url}: releasing job {job_id}: "
                                    f"{'; '.join(w for _, w in _errors(answer))}")

    def warm(self, user: User) -> None:
        """Nothing to warm: a token per user is made on first use."""

    def close(self) -> None:
        """Close the kept-alive connections (one per thread that called)."""
        self.http.close()

    def _call(self, method: str, path: str, body: Any = None, *, user: str | None = None,
              query: Mapping[str, str] | None = None) -> dict[str, Any]:
        try:
            return self.http.call(method, path, body, user=user, query=query)
        except RestFailure as error:
            raise ClientFailure(f"slurmrestd at {self.http.url}: {error}") from None


#: Slurm's codes for a job that has already ended: ESLURM_ALREADY_DONE ("Job/step already
#: completing or completed") and ESLURM_INVALID_JOB_ID (purged MinJobAge after its end).
ENDED_CODES = frozenset({2017, 2021})
#: Slurm's own job errors (ESLURM_*, slurm_errno.h) are 2000-2999; below are system
#: errors of the request itself (24.11 answers a DELETE with slurmctld down as 500,
#: error 1 "Operation not permitted" from slurm_kill_jobs()), which a later try may not
#: meet, and above are communication and database errors (5004 "Socket timed out on
#: send/recv operation", 7000 no database connection): a busy controller, not a no.
ESLURM = range(2000, 3000)


def cancel_failures(doc: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(Slurm's words, RETRY or REJECT) of each failure a DELETE job answer reports. A
    job that has already ended is no failure."""
    return [(words or f"error {code}", _verdict(code, words))
            for code, words in _errors(doc) if code not in ENDED_CODES]


def _verdict(code: int, words: str) -> str:
    """REJECT only for Slurm's own job errors whose words say no as sbatch's would
    (retry.classify), so the CLI and REST clients file one answer alike; else RETRY."""
    return REJECT if code in ESLURM and classify(words) == REJECT else RETRY


def _errors(doc: Mapping[str, Any]) -> list[tuple[int, str]]:
    """(code, words) of the errors in an answer: per job in ``status`` (v0.0.40+, with
    HTTP 200) and in ``errors`` (v0.0.38 answers 500 with them); code 0 is none."""
    out = []
    for item in _dicts(doc.get("status")):
        error = item.get("error")
        if isinstance(error, dict):
            out.append((_code(error.get("code")),
                        str(error.get("message") or error.get("string") or "")))
    for error in _dicts(doc.get("errors")):
        out.append((_code(error.get("error_number")),
                    str(error.get("description") or error.get("error") or "")))
    return [(code, words) for code, words in out if code]


def _dicts(value: object) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _code(value: object) -> int:
    if value is None:
        return 0
    try:
        return int(value)   # type: ignore[call-overload]
    except (TypeError, ValueError):
        return 1   # unreadable: a failure all the same, one worth trying again


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


def rest_client(cluster: Cluster | None, url: str | None, token: str | None
                ) -> tuple[RestSlurmClient, Cluster | None]:
    """The client for ``url`` + ``token`` when a URL is given, else for ``cluster``'s
    slurmrestd (tokens signed per trace user); with the cluster it serves, if any."""
    if url:
        if not token:
            raise InputError(f"slurmrestd at {url} needs a JWT: pass --slurm-token or set "
                             f"SLURM_JWT (`scontrol token lifespan=86400` makes one)")
        return RestSlurmClient(RestClient(url, FixedToken(token))), None
    if cluster is None:
        raise InputError("--slurm-client rest needs a slurmrestd: --slurm-url URL and "
                         "--slurm-token JWT (or SLURM_URL / SLURM_JWT), or --cluster NAME "
                         "of a running `wlgen cluster up`")
    http = RestClient(cluster.rest_url, ClusterTokens(cluster))
    return RestSlurmClient(http, image_environment(cluster)), cluster


def image_environment(cluster: Cluster) -> dict[str, str]:
    """What jobs need of the cluster image's environment (sbatch in the controller would
    pass it on; a REST job gets only what the request holds)."""
    out = cluster.slurm(["env"])
    pairs = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    return {k: v for k, v in pairs.items()
            if k in _IMAGE_ENV or k.startswith(_IMAGE_ENV_PREFIXES)} or dict(DEFAULT_ENV)
