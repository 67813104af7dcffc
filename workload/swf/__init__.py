"""Standard Workload Format v2.2: records, header, streaming reader and writer."""

from workload.swf.header import Header
from workload.swf.reader import SwfReader, read_swf
from workload.swf.record import FIELDS, SwfRecord
from workload.swf.writer import SwfWriter, write_swf

__all__ = ["FIELDS", "Header", "SwfReader", "SwfRecord", "SwfWriter", "read_swf", "write_swf"]
