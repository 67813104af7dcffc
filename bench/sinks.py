"""Sink figures: sustained rate into every sink with nothing lost, and emit overhead.

Starts private carbon-cache, graphite-web and rsyslog (tests/sinks/receivers.py), then:

1. rate: ``--rate`` events/s for ``--seconds`` into graphite, annotations (``--annotate``),
   logstash (TCP to rsyslog) and events.jsonl; reports per sink what was sent while the
   stream ran, how long the flush took, and what each receiver holds when read back.
2. overhead: a producer loop doing ``--work`` loop turns per event, with sinks off and on,
   side by side (the generator figure comes when the simulator uses these sinks).

    python3 bench/sinks.py --rate 2000 --seconds 15
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.sinks.receivers import Carbon, GraphiteWeb, Rsyslog, wait_for  # noqa: E402
from workload.event import Event  # noqa: E402
from workload.sinks.annotations import AnnotationSink, wanted  # noqa: E402
from workload.sinks.base import Sink  # noqa: E402
from workload.sinks.graphite import GraphiteSink  # noqa: E402
from workload.sinks.jsonl import JsonlSink  # noqa: E402
from workload.sinks.logstash import LogstashSink  # noqa: E402
from workload.sinks.synthetic import job_events  # noqa: E402


def make_sinks(root: Path, carbon: Carbon, web: GraphiteWeb, rsyslog: Rsyslog,
               annotate: str) -> list[Sink]:
    spool = root / "spool"
    return [JsonlSink(root / "events.jsonl"),
            GraphiteSink(carbon.address, interval_s=1, spool_dir=spool),
            AnnotationSink(web.url, filter_=annotate, spool_dir=spool),
            LogstashSink(rsyslog.url(), spool_dir=spool)]


def stamped(events: list[Event], now: float) -> list[Event]:
    """The synthetic events moved to the present (carbon keeps a day, nothing in the future)."""
    return [Event(**{**e.to_dict(), "time": now + e.time, "nodes": e.nodes}) for e in events]


def stream(sinks: list[Sink], events: list[Event], rate: float) -> float:
    """Emit at ``rate`` per second in 10 ms slices, a sample every 100 events; seconds taken."""
    start = time.monotonic()
    per_slice = max(1, int(rate / 100))
    for i in range(0, len(events), per_slice):
        for event in events[i:i + per_slice]:
            for sink in sinks:
                sink.emit(event)
            if not event.seq % 100:
                for sink in sinks:
                    sink.sample(event.time, {"seq": event.seq})
        time.sleep(max(0.0, start + (i + per_slice) / rate - time.monotonic()))
    return time.monotonic() - start


def in_flight(sinks: list[Sink]) -> dict[str, int]:
    """Records each network sink had confirmed when the stream ended (peeks at Delivery)."""
    return {s.name: s._delivery.sent for s in sinks if getattr(s, "_delivery", None)}


def read_back(root: Path, web: GraphiteWeb, rsyslog: Rsyslog, run_id: str,
              events: list[Event], annotate: str) -> dict[str, str]:
    first, last = events[0].time, events[-1].time
    want_ann = sum(1 for e in events if wanted(e, annotate))
    ann = wait_for(lambda: (found := web.events(run_id, first - 2, last + 2))
                   and len(found) >= want_ann and found, 60, "annotations")
    logs = wait_for(lambda: (recs := rsyslog.records()) and len(recs) >= len(events) and recs,
                    60, "rsyslog records")
    ends = sum(1 for e in events if e.kind == "end")
    points = wait_for(lambda: (p := web.render(f"wlgen.{run_id}.events.end", first - 2,
                                                last + 2)) and max(p.items())[1] == ends and p,
                      60, "carbon counter")
    lines = sum(1 for _ in open(root / "events.jsonl", "rb"))
    return {
        "jsonl": f"{lines}/{len(events)} lines",
        "logstash": f"{len({r['seq'] for r in logs})} distinct/{len(logs)} received/"
                    f"{len(events)} emitted",
        "annotations": f"{len({a['data'] for a in ann})} distinct/{len(ann)} received/"
                       f"{want_ann} wanted ({annotate})",
        "graphite": f"events.end={max(points.items())[1]:.0f} (expected {ends}), "
                    f"{len(points)} points",
    }


def rate_figure(args: argparse.Namespace, root: Path, receivers: tuple) -> None:
    carbon, web, rsyslog = receivers
    run_id = f"bench{int(time.time())}"
    events = stamped(list(job_events(int(args.rate * args.seconds / 3), 0, 1 / args.rate)),
                     time.time())
    sinks = make_sinks(root, carbon, web, rsyslog, args.annotate)
    for sink in sinks:
        sink.open(run_id)
    took = stream(sinks, events, args.rate)
    sent_live = in_flight(sinks)
    flush_start = time.monotonic()
    reports = [sink.close(args.deadline) for sink in sinks]
    flush = time.monotonic() - flush_start
    print(f"\n== rate: {len(events)} events in {took:.1f}s = {len(events) / took:.0f}/s "
          f"(target {args.rate:.0f}/s); flush {flush:.1f}s")
    for report in reports:
        live = sent_live.get(report.name, report.sent)
        print(f"  {report.name:12} sent {report.sent:>7}  buffered {report.buffered}  "
              f"dropped {report.dropped}  (sent while streaming: {live})")
    print("  read back:")
    for name, text in read_back(root, web, rsyslog, run_id, events, args.annotate).items():
        print(f"    {name:12} {text}")


def producer(sinks: list[Sink], events: list[Event], work: int) -> float:
    """A sink-heavy producer: ``work`` loop turns per event, then emit. Process CPU us/event
    (background sender threads included: under the GIL their CPU is the producer's loss)."""
    start = time.process_time()
    for event in events:
        acc = 0
        for i in range(work):
            acc += i
        for sink in sinks:
            sink.emit(event)
    return (time.process_time() - start) / len(events) * 1e6


def measure(sinks: list[Sink], events: list[Event], work: int, run_id: str) -> float:
    for sink in sinks:
        sink.open(run_id)
    cost = producer(sinks, events, work)
    for sink in sinks:
        sink.close(2.0)   # the figure is the producer's; what's left stays in the spool
    return cost


def overhead_figure(args: argparse.Namespace, root: Path, receivers: tuple) -> None:
    """Sinks off vs on, alternated ``--repeat`` times on this shared machine; best of each."""
    events = stamped(list(job_events(args.jobs, 0, 0.001)), time.time())
    best: dict[str, float] = {}
    for round_ in range(args.repeat):
        sets = {"off": []} | {"all": make_sinks(root / f"all{round_}", *receivers, "failures")}
        for sink in make_sinks(root / f"alone{round_}", *receivers, "failures"):
            sets[sink.name] = [sink]
        for name, sinks in sets.items():
            cost = measure(sinks, events, args.work, f"over{round_}{name}")
            best[name] = min(best.get(name, cost), cost)
    off = best.pop("off")
    print(f"\n== overhead: {len(events)} events, {args.work} loop turns of work each, "
          f"process CPU, best of {args.repeat}")
    print(f"  sinks off    {off:6.2f} us/event")
    for name, cost in best.items():
        label = "all on" if name == "all" else f"{name} only"
        print(f"  {label:12} {cost:6.2f} us/event  (+{cost - off:.2f} us, "
              f"+{(cost / off - 1) * 100:.1f}%)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=2000)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--annotate", default="failures", choices=["all", "startend",
                                                                    "failures"])
    parser.add_argument("--deadline", type=float, default=600)
    parser.add_argument("--jobs", type=int, default=50_000, help="overhead: jobs (x3 events)")
    parser.add_argument("--work", type=int, default=1000,
                        help="overhead: loop turns of work per event (~25 us)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="wlgen-bench-") as tmp:
        root = Path(tmp)
        with Carbon(root / "carbon") as carbon, GraphiteWeb(root / "web", carbon) as web, \
                Rsyslog(root / "rsyslog") as rsyslog:
            rate_figure(args, root, (carbon, web, rsyslog))
            overhead_figure(args, root, (carbon, web, rsyslog))


if __name__ == "__main__":
    main()
