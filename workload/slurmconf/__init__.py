"""One Slurm configuration model for the simulator, scenarios and the container cluster."""

from workload.slurmconf.defaults import CONTAINER, RELEASES, slurm_defaults
from workload.slurmconf.model import AccountConf, PartitionConf, QosConf, SlurmConfig
from workload.slurmconf.text import check_value, minutes_text_to_s, parse_lines

__all__ = ["AccountConf", "CONTAINER", "PartitionConf", "QosConf", "RELEASES", "SlurmConfig",
           "check_value", "minutes_text_to_s", "parse_lines", "slurm_defaults"]
