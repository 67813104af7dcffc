"""The stored sacct dumps (tests/data/sacct/<release>/, made by make_dumps.py there)."""

from __future__ import annotations

from pathlib import Path



SACCT = Path(__file__).resolve().parents[1] / "data" / "sacct"
RELEASES = sorted(p.name for p in SACCT.iterdir() if (p / "sacct-P-steps.txt").exists())
#: Every dump of the mixed workload, each release: (release, file name).
MIXED = [(r, f) for r in RELEASES for f in ("sacct-P-steps.txt", "sacct-P-allocations.txt",
                                            "sacct-p.txt", "sacct-P-epoch-noconvert.txt",
                                            "sacct-P-shuffled.txt", "sacct.json")]


def dump(release: str, name: str) -> Path:
    return SACCT / release / name

