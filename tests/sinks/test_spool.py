"""The disk spool: order, consume, reset, and leftovers kept across processes."""

from __future__ import annotations

import os
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


def test_adopt_takes_spools_left_behind_oldest_first_and_removes_them(tmp_path: Path) -> None:
    for name, records, age in (("old", [b"o1", b"o2"], 50), ("new", [b"n1"], 100)):
        left = Spool(tmp_path / f"{name}.spool")
        left.extend(records)
        left.close()   # a run that ended with these undelivered
        os.utime(left.path, (1e9 + age, 1e9 + age))   # "old" written first
    mine = Spool(tmp_path / "mine.spool")
    mine.extend([b"m1"])
    assert mine.adopt([tmp_path / "new.spool", tmp_path / "old.spool"]) == 3
    assert mine.peek(10) == [b"m1", b"o1", b"o2", b"n1"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.spool"]
    mine.close()


def test_adopt_leaves_a_spool_in_use_alone(tmp_path: Path) -> None:
    busy = Spool(tmp_path / "busy.spool")   # open: its run is still going
    busy.extend([b"b1"])
    busy.peek(1)                            # flushed to the file
    mine = Spool(tmp_path / "mine.spool")
    assert mine.adopt([busy.path]) == 0 and len(mine) == 0
    busy.close()
    assert mine.adopt([busy.path]) == 1 and mine.peek(5) == [b"b1"]
    mine.close()


def test_adopt_takes_whole_records_of_a_spool_cut_mid_record(tmp_path: Path) -> None:
    (tmp_path / "cut.spool").write_bytes(b"r1\nr2\nr3-half")   # its writer died mid-record
    mine = Spool(tmp_path / "mine.spool")
    assert mine.adopt([tmp_path / "cut.spool"]) == 2 and mine.peek(5) == [b"r1", b"r2"]
    mine.close()
