"""The sink interface. Sinks never block the generator: ``emit`` only enqueues."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from workload.event import Event


@dataclass(frozen=True, slots=True)
class SinkReport:
    """What one sink did with a run's events, reported at the end of every run."""

    name: str
    sent: int
    buffered: int = 0   # still waiting (e.g. on disk) when the flush deadline passed
    dropped: int = 0    # lost for good; 0 unless the user set a bound

    def to_dict(self) -> dict[str, object]:
        return {"sent": self.sent, "buffered": self.buffered, "dropped": self.dropped}


class Sink(ABC):
    """Receives every lifecycle event of a run, in the order the run saw them."""

    name: str = "sink"

    def open(self, run_id: str) -> None:  # noqa: B027 (optional hook)
        """Called once before the first event; ``run_id`` tags everything sent."""

    @abstractmethod
    def emit(self, event: Event) -> None:
        """Take one event. Must return quickly: queue it, never wait on the network."""

    def sample(self, time: float, gauges: dict[str, float]) -> None:  # noqa: B027 (optional hook)
        """Optional: periodic run gauges (submitted, pending, running, ...) at ``time``."""

    @abstractmethod
    def close(self, deadline_s: float) -> SinkReport:
        """Flush for at most ``deadline_s`` seconds, then report sent/buffered/dropped."""
