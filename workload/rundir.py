"""The run directory: the record of a run that every report and check reads."""

from __future__ import annotations

import json
import secrets
import time
from pathlib import Path
from typing import Any

EVENTS, SCHEDULE, METRICS, SETTINGS, ACCOUNTING = (
    "events.jsonl", "schedule.swf", "metrics.json", "settings.json", "accounting.json")


def new_run_id(kind: str) -> str:
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{kind}-{secrets.token_hex(2)}"


def make_run_dir(out: str | Path | None, run_id: str) -> Path:
    """``out`` if given (created; must be empty or new), else runs/<run_id>."""
    path = Path(out) if out else Path("runs") / run_id
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_json(path: Path, data: Any) -> None:
    """Write atomically, so a reader never sees half a file."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")
    tmp.replace(path)


def read_json(path: Path) -> Any:
    return json.loads(path.read_text())
