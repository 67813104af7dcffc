"""Spool.close on a large spool (~200 MB, its first record delivered): time and peak RSS.

    .venv/bin/python bench/spool_close.py [MB]

close keeps only the records still waiting; it once read them all into memory (200 MB
took ~650 MB of RSS), and now copies them a chunk at a time.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

from workload.sinks.spool import Spool


def main() -> None:
    megabytes = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.spool"
        spool = Spool(path)
        record = b"x" * 199
        for _ in range(megabytes // 2):
            spool.extend([record] * 10_000)
        spool.consume(spool.peek(1))
        size = path.stat().st_size
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.monotonic()
        spool.close()
        took = time.monotonic() - start
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"spool {size / 1e6:.0f} MB: close {took:.2f} s, peak RSS {before / 1e3:.0f} MB "
          f"before, {after / 1e3:.0f} MB after")


if __name__ == "__main__":
    main()
