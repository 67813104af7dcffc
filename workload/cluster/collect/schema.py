"""Carbon's slots for a cluster's layers follow its collector's interval.

Carbon keeps one point per slot of a series' storage schema. Sent every 1 s into 5 s
slots, four points of five are overwritten; sent every 5 s into 1 s slots, four slots of
five are empty and graphite-web draws dots, and ``perSecond`` of a counter is null. So
when a collector starts (``wlgen cluster monitor``, or the one `up --monitoring` starts
in the background), it makes the cluster's carbon keep ``wlgen.cluster.*`` in slots of
its interval: it rewrites that rule of the monitoring container's storage-schemas.conf
and resizes the cluster's existing series to it (``whisper-auto-resize``, which keeps
their points). Each cluster has its own carbon, so this touches no other cluster.

Carbon-cache reads its schemas again once a minute: a series first written in that
minute would be made with the old slots, so until then the collector makes the files of
its new series itself, at the new slots, before sending their first points
(:func:`create_missing`), and resizes once more after it (:data:`RELOAD_S`). A series
keeps :data:`POINTS` slots whatever the interval (about 1 MB of whisper file): a day at
1 s, five days at the default 5 s.
"""

from __future__ import annotations

import re

from workload.cluster.cluster import Cluster
from workload.errors import ClusterError

SCHEMAS = "/etc/wlgen/storage-schemas.conf"   # in the monitoring image
WHISPER = "/var/lib/graphite/whisper"
HOST = "graphite"
POINTS = 86_400
RELOAD_S = 65   # carbon-cache's schema reload (60 s) and a margin
_RULE = re.compile(r"(\[wlgen_cluster\][^\[]*?retentions\s*=\s*)(\S+)")


def slot_s(interval_s: float) -> int:
    """Whisper slots are whole seconds: the interval rounded down, at least 1 s."""
    return max(1, int(interval_s))


def retention(interval_s: float) -> str:
    """carbon's retention for a collector at ``interval_s``: ``<slot>s:<points>``."""
    return f"{slot_s(interval_s)}s:{POINTS}"


def current(schemas: str) -> str | None:
    """The ``[wlgen_cluster]`` rule's retentions in a storage-schemas.conf text."""
    found = _RULE.search(schemas)
    return found.group(2) if found else None


def with_retention(schemas: str, interval_s: float) -> str:
    """``schemas`` with the ``[wlgen_cluster]`` rule's retentions for ``interval_s``."""
    if current(schemas) is None:
        raise ValueError("no [wlgen_cluster] rule with retentions in the storage schemas")
    return _RULE.sub(lambda m: m.group(1) + retention(interval_s), schemas, count=1)


def match(cluster: Cluster, interval_s: float) -> str | None:
    """Make ``cluster``'s carbon keep its layers in slots of ``interval_s``; a line to
    say when it changed something, None when the slots were already so.

    The rule and the series change together: when the resize fails, the rule is put
    back (else the next start would find the rule already so and never resize) and the
    series resized again to it (the resize may have changed some before it failed), and
    the ClusterError says so; also when the graphite container does not answer."""
    text = cluster.exec(HOST, ["cat", SCHEMAS], timeout=30, check=True).stdout.decode()
    wanted = retention(interval_s)
    was = current(text)
    if was == wanted:
        return None
    _write(cluster, with_retention(text, interval_s))
    try:
        resize(cluster)
    except ClusterError as err:
        try:
            _write(cluster, text)
        except ClusterError as again:
            raise ClusterError(
                f"the series were not resized to {wanted} ({err}) and the rule could not "
                f"be put back to {was} ({again}): new series get {wanted}, the old keep "
                f"{was}") from None
        _resize_back(cluster, wanted, was, err)
        raise ClusterError(f"the series were not resized to {wanted}, so the rule was put "
                           f"back to {was} and the series resized back: {err}") from None
    return (f"carbon keeps wlgen.cluster.* in {slot_s(interval_s)} s slots now "
            f"({was} -> {wanted}), the series so far resized")


def _resize_back(cluster: Cluster, wanted: str, was: str | None, err: ClusterError) -> None:
    """After a failed resize to ``wanted`` and the rule put back to ``was``: resize again.
    whisper-auto-resize stops at its first failure with the files before it resized (and
    carbon may have made new series under the new rule meanwhile); a later start at
    ``was`` finds the rule so and never resizes, so they would keep ``wanted``."""
    try:
        resize(cluster)
    except ClusterError as again:
        raise ClusterError(
            f"the series were not resized to {wanted} ({err}); the rule was put back to "
            f"{was}, but the series could not be resized back ({again}): some may keep "
            f"{wanted} until the interval changes") from None


def _write(cluster: Cluster, schemas: str) -> None:
    """Replace the storage schemas file in one step (carbon never reads half of it)."""
    cluster.exec(HOST, ["sh", "-c", f"cat > {SCHEMAS}.new && mv {SCHEMAS}.new {SCHEMAS}"],
                 input=schemas.encode(), timeout=30, check=True)


def resize(cluster: Cluster) -> None:
    """Resize the cluster's series whose slots differ from the schemas (their points
    kept; no backups left behind)."""
    from workload.sinks.graphite import metric_name
    tree = f"{WHISPER}/wlgen/cluster/{metric_name(cluster.name)}"
    cluster.exec(HOST, ["whisper-auto-resize", WHISPER, "/etc/wlgen", "--doit", "--quiet",
                        "--subdir", tree, "--extra_args=--nobackup"],
                 user="_graphite", timeout=900, check=True)


# Run in the graphite container by the user carbon writes as: each metric name on stdin
# without a whisper file gets one with these slots (carbon may create it meanwhile: fine).
_CREATE = """
import os, sys, whisper
slot, points = int(sys.argv[1]), int(sys.argv[2])
for name in sys.stdin.read().split():
    path = os.path.join(sys.argv[3], *name.split(".")) + ".wsp"
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        try:
            whisper.create(path, [(slot, points)])
        except whisper.InvalidConfiguration:
            pass
"""


def create_missing(cluster: Cluster, names: list[str], interval_s: float) -> None:
    """Whisper files at the interval's slots for full metric ``names`` that have none."""
    cluster.exec(HOST, ["python3", "-c", _CREATE, str(slot_s(interval_s)), str(POINTS),
                        WHISPER], input="\n".join(names).encode(), user="_graphite",
                 timeout=60, check=True)
