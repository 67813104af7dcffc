"""Make the stored sacct dumps: a mixed workload and a storm on real container clusters.

Run from the project root (needs podman and the Slurm images; ~4 min a release):

    .venv/bin/python tests/data/sacct/make_dumps.py [--out DIR] [--prefix P] [SUITE...]

For each release it brings up a 2-node cluster ``sacct-<suite>``, runs mixed_workload.sh
on ctld, waits until accounting has every job ended, writes the dumps below into
tests/data/sacct/<release>/, runs a seeded storm (STORM, regenerable offline for the
round-trip test) and dumps its accounting too, then brings the cluster down (always).
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from pathlib import Path

from workload.cluster import owner

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
WLGEN = str(ROOT / ".venv/bin/wlgen")
RELEASES = {"bookworm": "22.05", "trixie": "24.11", "sid": "26.05"}
FIELDS = ("JobID,JobIDRaw,JobName,User,Group,Account,Partition,QOS,Submit,Eligible,Start,End,"
          "Elapsed,ElapsedRaw,Timelimit,TimelimitRaw,NCPUS,NNodes,ReqCPUS,ReqMem,ReqNodes,"
          "ReqTRES,AllocTRES,State,ExitCode,Priority,SubmitLine")
# Another order and a smaller subset, as a site's own script might ask for.
FIELDS_SHUFFLED = ("State,JobID,User,Elapsed,NCPUS,Timelimit,Submit,Start,End,ReqMem,"
                   "Partition,Account,JobName,SubmitLine,NNodes,ExitCode")
STORM = ["--jobs", "12", "--users", "2", "--size", "1-3", "--runtime", "3-8", "--seed", "7"]
# -s: jobs that ended in these states; without it sacct leaves out jobs that never became
# eligible (cancelled while held by --begin or by a dependency that can never be met).
ENDED = "--state=CA,CD,F,TO,NF,OOM,PR,DL,BF"
SACCT = ["sacct", "-a", ENDED, "--endtime=now"]
# name: (extra argv, environment)
DUMPS = {
    "sacct-P-steps.txt": (["-P", f"--format={FIELDS}"], {}),
    "sacct-P-allocations.txt": (["-P", "-X", f"--format={FIELDS}"], {}),
    "sacct-p.txt": (["-p", f"--format={FIELDS}"], {}),
    "sacct-P-epoch-noconvert.txt": (["-P", "--noconvert", f"--format={FIELDS}"],
                                    {"SLURM_TIME_FORMAT": "%s"}),
    "sacct-P-shuffled.txt": (["-P", "-X", f"--format={FIELDS_SHUFFLED}"], {}),
}


def wlgen(*args: str, check: bool = True, timeout: float = 600, **kw) -> str:
    done = subprocess.run([WLGEN, *args], capture_output=True, text=True, timeout=timeout,
                          cwd=ROOT, check=False, **kw)
    if check and done.returncode:
        raise SystemExit(f"wlgen {' '.join(args)} -> {done.returncode}: {done.stderr}")
    return done.stdout


def on_ctld(name: str, *argv: str, env: dict[str, str] | None = None, **kw) -> str:
    prefix = ["env", *(f"{k}={v}" for k, v in (env or {}).items())] if env else []
    return wlgen("cluster", "exec", "--name", name, "ctld", "--", *prefix, *argv, **kw)


def wait_accounted(name: str, since: str = "2000-01-01", deadline_s: float = 180) -> None:
    """Until sacct has every job (allocations) in a final state: accounting lags the queue."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        states = on_ctld(name, "sacct", "-a", "-X", "-n", "-P", f"--starttime={since}",
                         "--format=State").split()
        if states and not any(s in ("PENDING", "RUNNING", "REQUEUED", "COMPLETING")
                              for s in states):
            return
        time.sleep(2)
    raise SystemExit(f"{name}: accounting still has unfinished jobs after {deadline_s} s")


def dump(name: str, out: Path, files: dict[str, tuple[list[str], dict[str, str]]],
         select: list[str], json_name: str) -> None:
    for fname, (extra, env) in files.items():
        (out / fname).write_text(on_ctld(name, *SACCT, *select, *extra, env=env))
    (out / json_name).write_text(on_ctld(name, *SACCT, *select, "--json"))


def make(suite: str, root: Path = HERE, prefix: str = "sacct") -> None:
    name, out = f"{prefix}-{suite}", root / RELEASES[suite]
    out.mkdir(parents=True, exist_ok=True)
    # This process owns the cluster: killed before its `finally` (a caller's timeout
    # sends SIGKILL), the next test session's reap or `wlgen cluster down --stale`
    # removes it instead of leaving five containers behind.
    owner.claim(name)
    try:
        wlgen("cluster", "up", "--name", name, "--slurm", suite, "--nodes", "2", "--cpus", "4",
              "--mem", "2048", timeout=900)
        wlgen("cluster", "add-users", "--name", name, "alice", "bob")
        script = (HERE / "mixed_workload.sh").read_text()
        print(on_ctld(name, "bash", "-s", input=script, timeout=600))
        wait_accounted(name)
        mixed_end = on_ctld(name, "date", "+%Y-%m-%dT%H:%M:%S").strip()
        dump(name, out, DUMPS, ["--starttime=2000-01-01"],
             "sacct.json")
        (out / "sacctmgr-assoc.txt").write_text(on_ctld(name, "sacctmgr", "-P", "show", "assoc"))
        (out / "sacctmgr-qos.txt").write_text(on_ctld(name, "sacctmgr", "-P", "show", "qos"))
        (out / "version.txt").write_text(on_ctld(name, "sinfo", "--version"))
        time.sleep(1)
        argv = [WLGEN, "storm", "--backend", "slurm", "--cluster", name, *STORM,
                "--out", tempfile.mkdtemp(prefix=f"{name}-storm-")]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=600, cwd=ROOT,
                              check=False)
        if done.returncode:    # the mixed dumps stand on their own; say why storm's are absent
            print(f"{suite}: storm failed ({done.returncode}): {done.stderr[-2000:]}")
            return
        wait_accounted(name, since=mixed_end)
        storm = {"storm-sacct-P.txt": (["-P", "-X", f"--format={FIELDS}"], {})}
        dump(name, out, storm, [f"--starttime={mixed_end}"], "storm-sacct.json")
    finally:
        wlgen("cluster", "down", "--name", name, check=False, timeout=300)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("suites", nargs="*", metavar="SUITE",
                        help=f"Debian suites to run: {', '.join(RELEASES)} [all].")
    parser.add_argument("--out", type=Path, default=HERE,
                        help="Where the <release>/ folders go [tests/data/sacct].")
    parser.add_argument("--prefix", default="sacct",
                        help="Clusters are named PREFIX-<suite> [sacct].")
    args = parser.parse_args()
    unknown = [s for s in args.suites if s not in RELEASES]
    if unknown:
        parser.error(f"unknown suite(s) {', '.join(unknown)}: one of {', '.join(RELEASES)}")
    for suite in args.suites or list(RELEASES):
        make(suite, args.out, args.prefix)
        print(f"{suite}: dumps in {args.out / RELEASES[suite]}")


if __name__ == "__main__":
    main()
