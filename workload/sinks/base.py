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
    recovered: int = 0  # records earlier runs left in the spool, taken over (and in sent)
    spool_file: str = ""  # where the buffered records wait (the next run sends them)
    cut: int = 0        # records found cut mid-line in a spool (its writer killed): in dropped

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"sent": self.sent, "buffered": self.buffered,
                                  "dropped": self.dropped, "recovered": self.recovered}
        if self.spool_file:
            out["spool_file"] = self.spool_file
        if self.cut:
            out["cut"] = self.cut
        return out


def sink_detail(report: SinkReport) -> str:
    """What a report line adds beyond sent/buffered/dropped: earlier runs' records sent,
    and where the records not delivered wait (the next run to that receiver sends them)."""
    out = f", {report.recovered} of them left by earlier runs" if report.recovered else ""
    if report.cut:
        out += (f"; {report.cut} of the dropped cut mid-line in a spool (a writer killed "
                "while writing it)")
    if report.buffered > 0:
        out += f"; the {report.buffered} not delivered wait in {report.spool_file or 'its spool'}"
    return out


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
