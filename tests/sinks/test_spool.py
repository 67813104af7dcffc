"""The disk spool: order, consume, reset, and leftovers kept across processes."""

from __future__ import annotations

from pathlib import Path

import pytest

from workload.errors import SinkError
from workload.sinks.spool import Spool


def test_records_come_back_in_order_until_consumed(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.spool")
    spool.extend([b"a", b"bb"])
    spool.extend([b"ccc"])
    assert spool.peek(2) == [b"a", b"bb"]
    spool.consume([b"a"])
    assert len(spool) == 2 and spool.peek(10) == [b"bb", b"ccc"]
    spool.consume([b"bb", b"ccc"])
    assert len(spool) == 0 and spool.path.stat().st_size == 0   # reset when empty
    spool.extend([b"d"])
    assert spool.peek(5) == [b"d"]   # nothing stale after the reset
    spool.close()


def test_close_keeps_only_what_waits_and_reopen_replays_it(tmp_path: Path) -> None:
    path = tmp_path / "s.spool"
    spool = Spool(path)
    spool.extend([b"1", b"2", b"3"])
    spool.consume(spool.peek(1))
    spool.close()
    assert path.read_bytes() == b"2\n3\n"
    again = Spool(path)
    assert len(again) == 2 and again.peek(5) == [b"2", b"3"]
    again.consume(again.peek(5))
    again.close()
    assert not path.exists()


def test_big_records_span_read_chunks(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.spool")
    records = [bytes([65 + i % 26]) * 300_000 for i in range(8)]
    spool.extend(records)
    assert spool.peek(8) == records
    spool.close()


def test_a_record_must_be_one_line(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.spool")
    with pytest.raises(SinkError, match="one line"):
        spool.extend([b"a\nb"])
    spool.close()
