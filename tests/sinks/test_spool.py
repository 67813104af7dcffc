"""The disk spool: order, consume, reset, and leftovers kept across processes."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from workload.errors import SinkError
from workload.sinks import spool as spool_module
from workload.sinks.spool import HEADER_LEN, Spool, header, parse


def test_records_come_back_in_order_until_consumed(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.spool")
    spool.extend([b"a", b"bb"])
    spool.extend([b"ccc"])
    assert spool.peek(2) == [b"a", b"bb"]
    spool.consume([b"a"])
    assert len(spool) == 2 and spool.peek(10) == [b"bb", b"ccc"]
    spool.consume([b"bb", b"ccc"])
    assert len(spool) == 0 and spool.path.stat().st_size == HEADER_LEN   # reset when empty
    spool.extend([b"d"])
    assert spool.peek(5) == [b"d"]   # nothing stale after the reset
    spool.close()


def test_close_keeps_only_what_waits_and_reopen_replays_it(tmp_path: Path) -> None:
    path = tmp_path / "s.spool"
    spool = Spool(path)
    spool.extend([b"1", b"2", b"3"])
    spool.consume(spool.peek(1))
    spool.close()
    assert path.read_bytes() == header(HEADER_LEN) + b"2\n3\n"
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


def test_adopt_takes_whole_records_of_a_spool_cut_mid_record_and_counts_the_cut_one(
        tmp_path: Path) -> None:
    (tmp_path / "cut.spool").write_bytes(b"r1\nr2\nr3-half")   # its writer died mid-record
    mine = Spool(tmp_path / "mine.spool")
    assert mine.cut == 0
    assert mine.adopt([tmp_path / "cut.spool"]) == 2 and mine.peek(5) == [b"r1", b"r2"]
    assert mine.cut == 1   # lost, and said so (the sink's report counts it)
    mine.close()


def test_reopening_a_spool_cut_mid_record_counts_it_and_appends_whole_lines(
        tmp_path: Path) -> None:
    path = tmp_path / "s.spool"
    path.write_bytes(header(HEADER_LEN) + b"r1\nr2-half")
    again = Spool(path)
    again.extend([b"r3"])
    assert again.cut == 1 and again.peek(5) == [b"r1", b"r3"]   # not b"r2-halfr3"
    again.close()


def test_two_runs_adopting_one_spool_at_once_take_it_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    left = Spool(tmp_path / "old.spool")
    left.extend([b"r%d" % i for i in range(1000)])
    left.close()
    other = Spool(tmp_path / "b.spool")
    taken: list[int] = []
    real_fsync = os.fsync

    def second_run_meanwhile(fd: int) -> None:
        # The first adopter has the records and syncs them; the old file is still there.
        real_fsync(fd)
        if not taken:
            taken.append(other.adopt([tmp_path / "old.spool"]))
    monkeypatch.setattr(spool_module.os, "fsync", second_run_meanwhile)
    mine = Spool(tmp_path / "a.spool")
    assert mine.adopt([tmp_path / "old.spool"]) == 1000
    assert taken == [0] and len(other) == 0   # it found the spool taken, not a copy
    assert not (tmp_path / "old.spool").exists()
    mine.close()
    other.close()


def test_adopters_racing_in_threads_never_both_take_a_spool(tmp_path: Path) -> None:
    for round_ in range(20):
        left = Spool(tmp_path / f"old{round_}.spool")
        left.extend([b"r%d" % i for i in range(100)])
        left.close()
    got: dict[str, int] = {}

    def adopt(name: str) -> None:
        spool = Spool(tmp_path / f"{name}.run")
        got[name] = spool.adopt(sorted(tmp_path.glob("old*.spool")))
        spool.close()
    threads = [threading.Thread(target=adopt, args=(n,)) for n in ("a", "b", "c")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(got.values()) == 2000 and not list(tmp_path.glob("old*.spool"))


_KILLED_WRITER = """
import sys
from pathlib import Path
from workload.sinks.spool import Spool
spool = Spool(Path(sys.argv[1]))
spool.extend([b"r%d" % i for i in range(100)])
spool.consume(spool.peek(40))   # 40 delivered
spool.peek(1)                   # flushed: the rest are on disk
print("ready", flush=True)
sys.stdin.read()                # SIGKILLed here, before close() could compact the file
"""


def test_a_killed_writers_spool_resends_only_what_was_not_delivered(tmp_path: Path) -> None:
    path = tmp_path / "killed.spool"
    child = subprocess.Popen([sys.executable, "-c", _KILLED_WRITER, str(path)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert child.stdout is not None and child.stdout.readline() == b"ready\n"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(60)
    mine = Spool(tmp_path / "mine.spool")
    assert mine.adopt([path]) == 60
    assert mine.peek(100) == [b"r%d" % i for i in range(40, 100)]
    mine.close()


def test_a_spool_of_an_older_wlgen_without_header_is_read_whole(tmp_path: Path) -> None:
    (tmp_path / "old.spool").write_bytes(b"r1\nr2\n")
    mine = Spool(tmp_path / "mine.spool")
    assert mine.adopt([tmp_path / "old.spool"]) == 2 and mine.peek(5) == [b"r1", b"r2"]
    mine.close()
    again = Spool(tmp_path / "plain.spool")
    again.close()
    (tmp_path / "plain.spool").write_bytes(b"p1\np2\n")
    reopened = Spool(tmp_path / "plain.spool")
    reopened.consume(reopened.peek(1))
    assert reopened.peek(5) == [b"p2"]
    reopened.close()
    assert (tmp_path / "plain.spool").read_bytes() == header(HEADER_LEN) + b"p2\n"


def test_a_spool_adopted_between_its_creation_and_its_lock_is_made_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Run B creates its new spool file; before B locks it, run A (starting at once, same
    # receiver) finds it, takes it (empty) and removes it. B's relay died there.
    a = Spool(tmp_path / "a.spool")
    b_path = tmp_path / "b.spool"
    real_flock = fcntl.flock
    adopted: list[int] = []

    def a_adopts_first(fd: int, operation: int) -> None:
        if not adopted and b_path.exists() and os.fstat(fd).st_ino == b_path.stat().st_ino:
            adopted.append(-1)   # A's own flock of B's file comes through here too
            adopted[0] = a.adopt([b_path])
        real_flock(fd, operation)
    monkeypatch.setattr(spool_module.fcntl, "flock", a_adopts_first)
    b = Spool(b_path)
    monkeypatch.setattr(spool_module.fcntl, "flock", real_flock)
    assert adopted == [0]   # A did take B's first file, and found nothing in it
    b.extend([b"r1", b"r2"])
    b.consume(b.peek(1))
    assert os.stat(b_path).st_ino == os.fstat(b._fd).st_ino   # B writes the file it names
    b.close()
    assert parse(b_path.read_bytes(), b_path).records == [b"r2"]
    a.close()


def test_a_spool_waits_for_an_adopter_to_let_go_of_its_path(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "b.spool"
    path.write_bytes(header(HEADER_LEN) + b"left\n")
    holder = os.open(path, os.O_RDONLY)
    fcntl.flock(holder, fcntl.LOCK_EX)      # an adopter reading it
    real_flock, refused = fcntl.flock, threading.Event()

    def seen_refused(fd: int, operation: int) -> None:
        try:
            real_flock(fd, operation)
        except BlockingIOError:
            refused.set()
            raise
    monkeypatch.setattr(spool_module.fcntl, "flock", seen_refused)
    opened: list[Spool] = []
    opener = threading.Thread(target=lambda: opened.append(Spool(path)))
    opener.start()
    assert refused.wait(60), "the opener never met the adopter's lock"
    os.unlink(path)                          # the adopter took it and removes it
    os.close(holder)
    opener.join(60)
    assert opened and len(opened[0]) == 0 and path.exists()
    assert os.stat(path).st_ino == os.fstat(opened[0]._fd).st_ino
    opened[0].close()


def test_a_cut_record_its_writer_reads_again_is_not_counted_lost(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # The daemon logs' shipper saves a log's offset only after its lines are flushed to
    # the spool: a line cut there is read again from the log, so "lost" was wrong.
    path = tmp_path / "slurm-logs.spool"
    path.write_bytes(header(HEADER_LEN) + b"l1\nl2-half")
    spool = Spool(path, reread=True)
    spool.extend([b"l2"])   # read again
    assert spool.cut == 0 and spool.peek(5) == [b"l1", b"l2"]
    assert "read again from its source" in caplog.text and "lost" not in caplog.text
    spool.close()
