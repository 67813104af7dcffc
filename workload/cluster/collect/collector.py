"""One collector for every layer of a cluster: one timestamp an interval, one send.

Each interval (a slot: a multiple of ``interval_s`` on the wall clock, so every layer's
points share it and fall on carbon's slot boundaries):

- scheduler and Slurm state: one exec in ctld (sdiag, squeue, sinfo; see slurmstate.py)
  -> ``scheduler.*``, ``partition.<p>.*``, ``node.<n>.state|drain|not_responding|
  jobs_running`` and ``nodes.<state>`` (how many nodes are in each state);
- nodes: each node container's cgroup from the host (nodes.py) -> ``node.<n>.cpu_percent|
  mem_used_mb|pids``, ``<n>`` the container's host name: the node itself, or ``c<J>``
  for a container of several slurmd (their shared cgroup is read once);
- fabric, when one is applied (`wlgen fabric apply`): each port's counters and rates
  (fabric.py) -> ``fabric.<port>.tx_bytes|rx_bytes|tx_packets|rx_packets`` and their
  ``_per_s``;
- daemon logs (logs.py, in a thread of their own at the same interval): every new line
  of slurmctld, slurmd and slurmdbd to the log receiver as a JSON event, at least once;
  here ``logs.lines_read|lines_sent`` (totals since the collector started) and
  ``logs.waiting`` (lines in the spool);
- the collector itself: ``collector.duration_ms`` (one sample's wall time) and
  ``collector.scheduler_ok`` (0 while ctld does not answer, e.g. during a restart).

Before the first sample, carbon's slots for them are made the interval's (schema.py),
so each series draws as a line. All under ``wlgen.cluster.<cluster>.``, sent to the
cluster's carbon in one plaintext
message through graphyte (``raise_send_errors``: a failure is an exception, not a log
line). A layer that fails is left out of that interval and said once (never sent as
zeros); samples carbon refused wait in a bounded outbox and go with the next send.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import graphyte

from workload.cluster import proc
from workload.cluster.cluster import Cluster
from workload.cluster.collect import logs, nodes, schema, slurmstate
from workload.cluster.collect.fabric import FabricLayer
from workload.cluster.collect.sdiag import parse_sdiag
from workload.errors import ClusterError

DEFAULT_INTERVAL_S = 5.0
OUTBOX_MAX = 720   # samples kept while carbon is away: an hour at 5 s
Say = Callable[[str], None]


def prefix(cluster: str) -> str:
    from workload.sinks.graphite import metric_name
    return f"wlgen.cluster.{metric_name(cluster)}."


@dataclass(slots=True)
class Sample:
    when: int                               # the slot, epoch seconds
    metrics: dict[str, float] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)   # layer -> what failed


def slurm_metrics(text: str) -> dict[str, float]:
    """The ctld exec's stdout -> scheduler, partition and Slurm node metrics."""
    sdiag, squeue, sinfo = slurmstate.split_outputs(text)
    out = {f"scheduler.{k}": v for k, v in parse_sdiag(sdiag).items()}
    out.update(slurmstate.partition_metrics(squeue, sinfo))
    out.update(slurmstate.node_metrics(squeue, sinfo))
    out.update(slurmstate.state_counts(sinfo))
    return out


def node_containers(cluster: Cluster) -> dict[str, str]:
    """Node container host -> container name, each container once: n1..nN with one slurmd
    a container, c1..cM with several (--nodes-per-container K), whose K slurmd share the
    container's cgroup: sampled per Slurm node, the container was read K times and each
    of its nodes showed the whole container's CPU."""
    return {host: cluster.container(host) for host in cluster.spec.node_hosts}


class Collector:
    """Samples cluster ``cluster`` (a running Cluster); :meth:`sample` is one interval."""

    def __init__(self, cluster: Cluster, *, exec_timeout_s: float = 20.0,
                 shipper: logs.ShipperThread | None = None) -> None:
        self.cluster, self.exec_timeout_s, self.logs = cluster, exec_timeout_s, shipper
        self.nodes = nodes.NodeReader(cluster.engine.name, node_containers(cluster),
                                      lambda argv: proc.text(cluster.engine, argv, timeout=30))
        self._last: tuple[float, dict[str, nodes.Usage]] | None = None
        self.fabric = FabricLayer(cluster)

    def sample(self, when: int) -> Sample:
        began = time.monotonic()
        out = Sample(when)
        try:
            out.metrics.update(self._slurm())
            ok = 1.0
        except (ClusterError, ValueError) as err:
            out.errors["scheduler"], ok = str(err), 0.0
        try:
            out.metrics.update(self._nodes())
        except (ClusterError, OSError, ValueError) as err:
            out.errors["nodes"] = str(err)
        try:
            out.metrics.update(self.fabric.read())
        except (ClusterError, OSError, ValueError) as err:
            out.errors["fabric"] = str(err)
        if self.logs is not None:
            out.metrics.update(self.logs.metrics())
            if self.logs.error is not None:
                out.errors["logs"] = self.logs.error
        out.metrics["collector.scheduler_ok"] = ok
        out.metrics["collector.duration_ms"] = round((time.monotonic() - began) * 1e3, 1)
        return out

    def _slurm(self) -> dict[str, float]:
        done = self.cluster.exec("ctld", ["sh", "-c", slurmstate.CTLD_SCRIPT],
                                 timeout=self.exec_timeout_s)
        if done.returncode != 0:
            raise ClusterError(f"ctld: {proc.last_line(done.stderr)}")
        return slurm_metrics(done.stdout.decode(errors="replace"))

    def _nodes(self) -> dict[str, float]:
        now, usage = time.monotonic(), self.nodes.read()
        last, self._last = self._last, (now, usage)
        return nodes.node_metrics(last[1] if last else {}, usage, now - last[0] if last else 1)


class CarbonOutbox:
    """Plaintext messages for carbon, sent oldest first; kept (bounded) while it is away."""

    def __init__(self, address: str, cluster: str, timeout_s: float = 5.0,
                 keep: int = OUTBOX_MAX) -> None:
        from workload.sinks.graphite import parse_hostport
        host, port = parse_hostport(address, "graphite")
        self.sender = graphyte.Sender(host, port, prefix=prefix(cluster).rstrip("."),
                                      timeout=timeout_s, raise_send_errors=True)
        self.waiting: deque[bytes] = deque()
        self.keep, self.dropped = keep, 0

    def put(self, sample: Sample) -> None:
        self.waiting.append(b"".join(self.sender.build_message(name, value, sample.when)
                                     for name, value in sorted(sample.metrics.items())))
        while len(self.waiting) > self.keep:
            self.waiting.popleft()
            self.dropped += 1

    def flush(self) -> None:
        """Send what waits; OSError (carbon away) leaves it waiting."""
        while self.waiting:
            self.sender.send_socket(self.waiting[0])
            self.waiting.popleft()


def slots(interval_s: float, count: int | None = None,
          clock: Callable[[], float] = time.time,
          sleep: Callable[[float], None] = time.sleep) -> Iterator[int]:
    """Slot times (multiples of ``interval_s``) as they arrive, from the next one on;
    a slot missed (a sample longer than the interval) is skipped, never bunched."""
    k = 0
    while count is None or k < count:
        now = clock()
        slot = (int(now // interval_s) + 1) * interval_s
        sleep(slot - now)
        yield int(slot)
        k += 1


def monitor(cluster: Cluster, interval_s: float = DEFAULT_INTERVAL_S,
            count: int | None = None, say: Say = lambda line: None) -> int:
    """Collect every ``interval_s`` until ``count`` samples (or Ctrl-C); returns samples.

    ClusterError when the cluster has no monitoring."""
    ends = cluster.monitoring
    if ends is None:
        raise ClusterError(f"cluster {cluster.name} has no monitoring: start it with "
                           f"`wlgen cluster up --name {cluster.name} --monitoring`")
    resize_at = _match_slots(cluster, interval_s, say)
    shipper = _shipper(cluster, ends.logstash(), interval_s, say)
    collector = Collector(cluster, exec_timeout_s=max(interval_s * 2, 10), shipper=shipper)
    outbox = CarbonOutbox(ends.graphite, cluster.name)
    done, said = 0, dict[str, str]()
    try:
        for when in slots(interval_s, count):
            if not cluster.dir.exists():   # `down` removed it: nothing left to watch
                say(f"cluster {cluster.name} is gone: collector stops")
                break
            if resize_at is not None and time.monotonic() >= resize_at:
                _resize_later(cluster, say)
                resize_at = None
            sample = collector.sample(when)
            if resize_at is not None:   # carbon has the old schema yet: make new series
                _create_missing(cluster, sample, interval_s, say)
            outbox.put(sample)
            try:
                outbox.flush()
                sent = "sent"
            except OSError as err:
                sent = f"carbon {ends.graphite} refused ({err}): {len(outbox.waiting)} waiting"
            said = _say_errors(sample, said, say)
            say(f"{when}: {len(sample.metrics)} metrics {sent}")
            done += 1
    except KeyboardInterrupt:
        pass
    finally:
        if shipper is not None:
            shipper.stop()
    if shipper is not None and shipper.shipper.waiting:
        say(f"{shipper.shipper.waiting} daemon log lines not sent (receiver "
            f"{ends.logstash()} away): kept for the next collector")
    if outbox.waiting or outbox.dropped:
        say(f"{len(outbox.waiting)} samples not sent, {outbox.dropped} dropped "
            f"(carbon {ends.graphite} away)")
    return done


def _match_slots(cluster: Cluster, interval_s: float, say: Say) -> float | None:
    """Carbon's slots to the interval (schema.py); when it changed them, the monotonic time
    to resize once more (after carbon re-read its schemas), else None."""
    try:
        changed = schema.match(cluster, interval_s)
    except (ClusterError, ValueError) as err:   # samples still go, into the old slots
        say(f"carbon's slots left as they are: {err}")
        return None
    if changed is None:
        return None
    say(changed)
    return time.monotonic() + schema.RELOAD_S


def _create_missing(cluster: Cluster, sample: Sample, interval_s: float, say: Say) -> None:
    try:
        schema.create_missing(cluster, [prefix(cluster.name) + name for name in sample.metrics],
                              interval_s)
    except ClusterError as err:
        say(f"{sample.when}: new series left to carbon's old slots: {err}")


def _resize_later(cluster: Cluster, say: Say) -> None:
    """The series first written before carbon re-read its schemas, resized beside the
    samples (a thread: resizing takes seconds, a sample must not wait for it)."""
    def run() -> None:
        try:
            schema.resize(cluster)
        except ClusterError as err:
            say(f"carbon's new series not resized: {err}")
    threading.Thread(target=run, name="wlgen-slots", daemon=True).start()


def _shipper(cluster: Cluster, receiver: str, interval_s: float,
             say: Say) -> logs.ShipperThread | None:
    """The daemon logs' shipper, started; None (said) while another collector ships them."""
    try:
        shipper = logs.ShipperThread(logs.for_cluster(cluster, receiver), interval_s)
    except logs.ShippedElsewhere as err:
        say(f"daemon logs left to the other collector: {err}")
        return None
    except (ClusterError, OSError, ValueError) as err:   # metrics go on without them
        say(f"daemon logs layer left out: {err}")
        return None
    shipper.start()
    return shipper


def _say_errors(sample: Sample, said: dict[str, str], say: Say) -> dict[str, str]:
    """Say a layer's failure when it starts or changes, and when it ends."""
    for layer, error in sample.errors.items():
        if said.get(layer) != error:
            say(f"{sample.when}: {layer} layer left out: {error}")
    for layer in set(said) - set(sample.errors):
        say(f"{sample.when}: {layer} layer back")
    return dict(sample.errors)
