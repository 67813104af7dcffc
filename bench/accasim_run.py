"""Run one SWF trace through AccaSim 1.1.3 with EASY backfilling: bench/sim_speed.py's
AccaSim column. Runs under AccaSim's own interpreter (a separate venv), never wlgen's.

    /tmp/accasim-venv/bin/python bench/accasim_run.py TRACE NODES CORES OUT_DIR

AccaSim 1.1.3 imports ``collections.Mapping``, which Python 3.10 removed: the alias is
put back here, in this process only, before AccaSim is imported (its site-packages are
left as installed). The system is NODES nodes of CORES cores (one SWF processor a core),
FirstFit allocation, EASY backfilling; AccaSim writes its schedule and statistics to
OUT_DIR, as wlgen writes its run directory.
"""

from __future__ import annotations

import collections
import collections.abc
import json
import os
import sys


def main() -> None:
    trace, nodes, cores, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    collections.Mapping = collections.abc.Mapping  # type: ignore[attr-defined]
    from accasim.base.allocator_class import FirstFit
    from accasim.base.scheduler_class import EASYBackfilling
    from accasim.base.simulator_class import Simulator

    os.makedirs(out, exist_ok=True)
    config = os.path.join(out, "sys_config.json")
    with open(config, "w") as file:
        json.dump({"groups": {"g0": {"core": cores}}, "resources": {"g0": nodes},
                   "equivalence": {"processor": {"core": 1}}, "start_time": 0}, file)
    dispatcher = EASYBackfilling(FirstFit())
    simulator = Simulator(trace, config, dispatcher, RESULTS_FOLDER_PATH=out,
                          show_statistics=False, scheduling_output=True,
                          statistics_output=True)
    simulator.start_simulation()


if __name__ == "__main__":
    main()
