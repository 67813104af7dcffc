"""Textbook FCFS and EASY give the schedules they gave before the speed work (issue 15 §3).

The simulator, the recorder and the SWF writer were rewritten for speed; the realised
schedules must not move by a second or a node. Each stored trace is replayed and
compared with what the code before that work wrote (revision aaf69f1^): schedule.swf's
records byte for byte, every event's (kind, time, seq, state, nodes) in order, and the
headline metrics to the last bit (numpy's own mean and percentiles, now computed
without numpy for short runs). Digests, not files: the events' other fields may grow.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

DATA = Path(__file__).parent.parent / "data"
KEYS = ("wait_mean_s", "wait_median_s", "wait_p95_s", "bsld_mean", "utilization",
        "makespan_s", "started")
EXPECTED = {
    ("HPC2N-2002-2.2-alea-subset", "fcfs"): (
        "c2be6f2d4aee1b97", "4dd852f88006efcc",
        (5588.634340222576, 0.0, 25661.599999999995, 47.03823973769631, 0.39395672711593793,
         5309576.0, 3145)),
    ("HPC2N-2002-2.2-alea-subset", "easy"): (
        "5cfe3aaf176e6b94", "26c32339e8d0e049",
        (3475.3926868044514, 0.0, 20409.799999999963, 16.240935415922138, 0.3960101027790057,
         5282045.0, 3145)),
    ("lublin_256", "fcfs"): (
        "6f5c6b7024dc3c8a", "53e00552a61d12b1",
        (2388443.7601, 2399531.5, 4383794.5, 66502.47552932303, 0.6549084195463603,
         12482549.0, 10000)),
    ("lublin_256", "easy"): (
        "fe5938e254fd4a3b", "150a2f5682773db8",
        (97155.9945, 23072.5, 598426.6499999998, 590.0537772276791, 0.9363428259115136,
         8730698.0, 10000)),
}


def _events_digest(path: Path) -> str:
    digest = hashlib.sha256()
    for line in path.read_text().splitlines():
        event = json.loads(line)
        digest.update(repr((event["kind"], event["time"], event["seq"], event["state"],
                            event["nodes"])).encode())
    return digest.hexdigest()[:16]


def _records_digest(path: Path) -> str:
    records = b"".join(line for line in path.read_bytes().splitlines(True)
                       if not line.startswith(b";"))
    return hashlib.sha256(records).hexdigest()[:16]


@pytest.mark.parametrize("trace,policy", sorted(EXPECTED))
def test_textbook_schedule_unchanged(wlgen, tmp_path, trace, policy):
    out = tmp_path / "run"
    result = wlgen("replay", str(DATA / f"{trace}.swf"), "--backend", "sim", "--policy",
                   policy, "--out", str(out))
    assert result.exit_code == 0, result.output
    events, records, figures = EXPECTED[(trace, policy)]
    metrics = json.loads((out / "metrics.json").read_text())
    assert tuple(metrics[k] for k in KEYS) == figures
    assert _records_digest(out / "schedule.swf") == records
    assert _events_digest(out / "events.jsonl") == events
