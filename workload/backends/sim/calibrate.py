"""Optional Slurm-like behaviour for the simulator (default: none, textbook EASY).

Two documented traits of Slurm's sched/backfill that change a schedule of short jobs:

- Time limits are whole minutes: ``sbatch --time`` takes minutes, so a job asking for
  5 s gets (and is killed at, and is planned with) 60 s. ``time_limit_round_s=60``
  rounds every limit up to a multiple of 60 s.
- Backfilling is periodic: the main scheduler starts jobs in priority order on submit
  and end (batch_sched_delay=0), but the backfill pass runs every ``bf_interval``
  seconds. ``bf_interval_s`` makes the simulator backfill only at multiples of it; in
  between, a pass only starts jobs from the head of the queue (FCFS).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Calibration:
    time_limit_round_s: float = 0.0   # 0: limits as given
    bf_interval_s: float = 0.0        # 0: backfill on every pass

    def __post_init__(self) -> None:
        if self.time_limit_round_s < 0 or self.bf_interval_s < 0:
            raise ValueError("calibration values must be >= 0")

    def limit(self, seconds: float) -> float:
        """The limit the scheduler plans with and kills at."""
        step = self.time_limit_round_s
        if not step or math.isinf(seconds):
            return seconds
        return max(1, math.ceil(seconds / step - 1e-9)) * step

    def next_backfill(self, now: float) -> float:
        """The next backfill tick strictly after ``now`` (ticks at multiples of the interval)."""
        step = self.bf_interval_s
        return (math.floor(now / step + 1e-9) + 1) * step

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


TEXTBOOK = Calibration()
