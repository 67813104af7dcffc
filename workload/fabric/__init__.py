"""The simulated interconnect of a container cluster: shaped links, faults, port counters.

Modules, one concept each:
    topology   pure model: flat switch or two-level fat tree, link and uplink rates
    shaping    pure builders of `tc`/`ip`/`ethtool` argv lists for a topology
    netns      where a node's interfaces are (container pid, host end of its veth)
    apply      runs the shaping on a cluster, saves/clears the applied fabric
    counters   per-port tx/rx bytes and packets (InfiniBand counter names)
    faults     link down/up, unplug/replug, slow node (CPU quota)
    watch      samples counters at an interval into Graphite or fabric.jsonl
    stream     a TCP stream between two nodes (rate measurements)

How it is modelled and what it cannot do: see docs in :mod:`workload.fabric.topology`.
"""
