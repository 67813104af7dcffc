"""The cluster's layers, sampled on one clock and sent to its carbon.

    sdiag.py       sdiag text -> scheduler metrics (pure)
    slurmstate.py  one squeue + one sinfo -> partition and node metrics (pure)
    nodes.py       node containers' CPU, memory and pids from the host (cgroup, podman stats)
    fabric.py      an applied fabric's port counters and rates (fabric/watch.PortReader)
    slurmlog.py    a daemon's log line (engine record + Slurm's text) -> a JSON event (pure)
    logs.py        daemon log files followed by offset, spooled, sent at least once
    collector.py   one interval: every layer, one timestamp, one send through graphyte
    annotate.py    faults as graphite-web events and log receiver JSON lines

Every metric is under ``wlgen.cluster.<cluster>.`` (see README, "Monitoring next to the
cluster"). It lives in workload/cluster (not workload/sinks) because it reads the
container cluster itself (engine, cgroups, an exec in ctld); sinks/ carry a run's events.
"""
