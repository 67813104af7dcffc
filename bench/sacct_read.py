"""How fast a sacct dump is read into job specs, and the memory it takes.

A site's dump is made by repeating the stored 26.05 `sacct -P` dump with steps
(tests/data/sacct/26.05/sacct-P-steps.txt) under new job ids until it has ROWS rows, in
a temporary file; a child process reads it with SacctSource (every row parsed, every
job built, dependencies mapped) and reports rows/s, CPU seconds and peak RSS. The
--json case does the same with the stored `sacct --json` dump. Figures, not a test: the
machine is shared, so CPU seconds say more than wall time.

    python bench/sacct_read.py [--rows 100000] [--json]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STORED = ROOT / "tests/data/sacct/26.05"
CHILD = """
import resource, sys, time
from workload.sources.sacct import SacctSource
start = time.perf_counter()
source = SacctSource(sys.argv[1], kind=sys.argv[2])
jobs = sum(1 for _ in source)
wall = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(source.rows, jobs, sum(source.skipped.values()), round(wall, 3), round(peak, 1))
"""


def pipe_dump(rows: int, out: Path) -> int:
    header, *body = (STORED / "sacct-P-steps.txt").read_text().splitlines()
    written, copy = 0, 0
    with open(out, "w") as handle:
        handle.write(header + "\n")
        while written < rows:
            shift = copy * 1000
            for line in body:
                job, sep, rest = line.partition("|")
                handle.write(_shift(job, shift) + sep + _shift_raw(rest, shift) + "\n")
                written += 1
            copy += 1
    return written


def json_dump(rows: int, out: Path) -> int:
    data = json.loads((STORED / "sacct.json").read_text())
    jobs = data["jobs"]
    copies = max(1, rows // len(jobs))
    data["jobs"] = [dict(job, job_id=job["job_id"] + 1000 * c) for c in range(copies)
                    for job in jobs]
    out.write_text(json.dumps(data))
    return len(data["jobs"])


def _shift(job_id: str, by: int) -> str:
    """``17+0.batch`` -> ``1017+0.batch`` (the leading number moved by ``by``)."""
    digits = len(job_id) - len(job_id.lstrip("0123456789"))
    return str(int(job_id[:digits]) + by) + job_id[digits:] if digits else job_id


def _shift_raw(rest: str, by: int) -> str:
    raw, sep, tail = rest.partition("|")
    return _shift(raw, by) + sep + tail


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--json", action="store_true", help="Read sacct --json instead.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ("dump.json" if args.json else "dump.txt")
        made = (json_dump if args.json else pipe_dump)(args.rows, path)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", CHILD, str(path),
                               "sacct-json" if args.json else "sacct"], capture_output=True,
                              text=True, cwd=ROOT, check=True)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        rows, jobs, skipped, read_s, peak_mb = done.stdout.split()
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        size = path.stat().st_size / 1e6
        print(f"sacct {'--json' if args.json else '-P'}: {made:,} rows ({size:.1f} MB): "
              f"{rows} rows read, {jobs} jobs, {skipped} skipped; read {float(read_s):.2f} s "
              f"({int(rows) / float(read_s):,.0f} rows/s), child CPU {cpu:.2f} s, wall "
              f"{wall:.2f} s, peak RSS {float(peak_mb):.0f} MB")


if __name__ == "__main__":
    main()
