"""Sink figures through the real run path (`wlgen storm`, sinks fed by the relay process).

Starts private carbon-cache, graphite-web and rsyslog (tests/sinks/receivers.py), then:

1. rate: a real-time storm producing ``--rate`` events/s for ``--seconds`` with every sink
   on; per sink: sent, buffered, dropped as the run reported them, and what each receiver
   holds when read back (logstash lines in rsyslog, annotations in graphite-web).
2. overhead: the generator's loop time for a simulated storm of ``--jobs`` jobs, sinks off
   and on, side by side (median of ``--repeat`` runs each).

    python3 bench/sinks.py --rate 2000 --seconds 15 --jobs 20000
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.sinks.receivers import Carbon, GraphiteWeb, Rsyslog, wait_for  # noqa: E402
from workload.cli.main import cli  # noqa: E402
from workload.rundir import read_accounting  # noqa: E402


def cpu_s() -> float:
    """This process's CPU time: the generator's, not the relay's or the receivers'."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def storm(out: Path, args: list[str], sinks: list[str]) -> dict:
    result = CliRunner().invoke(cli, ["storm", "--backend", "sim", "--out", str(out), "--json",
                                      *args, *sinks], catch_exceptions=False)
    if result.exit_code:
        raise SystemExit(result.output)
    return json.loads(result.stdout)


def sink_args(carbon: Carbon, web: GraphiteWeb, rsyslog: Rsyslog, annotate: str) -> list[str]:
    return ["--graphite", carbon.address, "--graphite-web", web.url, "--logstash",
            rsyslog.url(), "--annotate", annotate, "--metrics-interval", "1",
            "--sink-deadline", "900"]


def rate_figure(args, root: Path, receivers: tuple) -> None:
    carbon, web, rsyslog = receivers
    jobs = int(args.rate * args.seconds / 3)          # 3 events a job
    started = time.time()
    wall = time.monotonic()
    # 2,048 CPUs: enough that no job waits, so the event rate is the submit rate x 3.
    # Half the jobs overrun their 0.5 s limit (TIMEOUT): failures to annotate.
    metrics = storm(root / "rate", ["--jobs", str(jobs), "--rate", str(args.rate / 3),
                                    "--runtime", "0.3-0.7", "--time-limit", "0.5",
                                    "--realtime", "--nodes", "32",
                                    "--cpus", "64"],
                    sink_args(carbon, web, rsyslog, args.annotate))
    took = time.monotonic() - wall
    events = metrics["events"]
    sinks = read_accounting(root / "rate")["sinks"]
    print(f"rate: {events:,} events in {metrics['wall_s']:.1f} s of run "
          f"({events / metrics['wall_s']:,.0f} events/s); run + final flush {took:.1f} s")
    lines = wait_for(lambda: len(rsyslog.records()) >= events and len(rsyslog.records()), 60,
                     "logstash lines")
    notes = web.events(f"wlgen {metrics['run_id']}", started - 5, time.time() + 5)
    back = {"logstash": f"{lines:,} lines in rsyslog",
            "annotations": f"{len(notes):,} in graphite-web",
            "graphite": "gauges every 1 s of run"}
    print(f"{'sink':<12} {'sent':>8} {'buffered':>9} {'dropped':>8}  read back")
    for name, counts in sinks.items():
        print(f"{name:<12} {counts['sent']:>8,} {counts['buffered']:>9,} {counts['dropped']:>8,}  "
              f"{back.get(name, '')}")


def overhead_figure(args, root: Path, receivers: tuple) -> None:
    carbon, web, rsyslog = receivers
    storm_args = ["--jobs", str(args.jobs), "--size", "1-4", "--runtime", "1-100"]
    walls: dict[str, list[float]] = {"off": [], "on": []}
    cpus: dict[str, list[float]] = {"off": [], "on": []}
    for i in range(args.repeat):                        # interleaved: same machine state
        for mode, sinks in (("off", []), ("on", sink_args(carbon, web, rsyslog, "failures"))):
            before = cpu_s()
            walls[mode].append(storm(root / f"{mode}{i}", storm_args, sinks)["wall_s"])
            cpus[mode].append(cpu_s() - before)
    for label, figures in (("generator loop wall", walls), ("generator process CPU", cpus)):
        off, on = statistics.median(figures["off"]), statistics.median(figures["on"])
        print(f"overhead, {label}: {args.jobs:,}-job simulated storm, median of {args.repeat}:"
              f" sinks off {off:.2f} s, all sinks on {on:.2f} s, ratio {on / off:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=2000)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--annotate", default="failures", help="annotation filter for the rate run")
    parser.add_argument("--jobs", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        with Carbon(root / "carbon") as carbon, GraphiteWeb(root / "web", carbon) as web, \
                Rsyslog(root / "rsyslog") as rsyslog:
            receivers = (carbon, web, rsyslog)
            rate_figure(args, root, receivers)
            overhead_figure(args, root, receivers)


if __name__ == "__main__":
    main()
