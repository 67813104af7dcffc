"""Workload sources and transforms."""

from __future__ import annotations

import numpy as np
import pytest

from workload.errors import InputError
from workload.sources import LublinSource, MixSource, StormSource, TraceSource, Window
from workload.sources.estimates import EstimateModel
from workload.swf import read_swf
from workload.sources.transforms import cap_runtime, compress, map_users, scale_procs


def test_trace_skips_unusable_records_and_counts_them(hpc2n):
    source = TraceSource(hpc2n)
    specs = list(source)
    assert len(specs) == 3170 - 25
    assert source.skipped == {"run time -1 (n/a)": 25}
    assert [s.seq for s in specs] == list(range(len(specs)))
    assert specs[0].submit_s == 0 and specs[0].procs == 30 and specs[0].time_limit_s == 37980


def test_trace_window_by_count_and_time(hpc2n):
    all_specs = list(TraceSource(hpc2n))
    window = list(TraceSource(hpc2n, window=Window(offset=10, limit=5)))
    assert [s.source_id for s in window] == [s.source_id for s in all_specs[10:15]]
    assert window[0].submit_s == 0                       # time restarts at the window
    _, records = read_swf(hpc2n)
    lo, hi = records[100].submit, records[200].submit
    timed = list(TraceSource(hpc2n, window=Window(start_s=lo, end_s=hi)))
    usable = [r for r in records if lo <= r.submit < hi and r.run >= 0]
    assert len(timed) == len(usable)


def test_window_rejects_an_empty_time_range():
    with pytest.raises(InputError, match="must be after"):
        Window(start_s=10, end_s=5)


def test_lublin_is_reproducible_and_seed_dependent():
    a = list(LublinSource(300, 128, seed=5).records())
    assert a == list(LublinSource(300, 128, seed=5).records())
    assert a != list(LublinSource(300, 128, seed=6).records())


def stats(records, procs):
    size = np.array([r.alloc_procs for r in records], float)
    run = np.array([r.run for r in records], float)
    submit = np.array([r.submit for r in records], float)
    return {"serial": (size == 1).mean(), "pow2": np.mean([int(s) & int(s - 1) == 0 for s in size]),
            "median_run": np.median(run), "load": (size * run).sum() / (procs * submit[-1])}


def test_typeless_model_matches_the_reference_program_output(lublin256):
    """Same parameters as the authors' program that made lublin_256.swf: same statistics."""
    _, reference = read_swf(lublin256)
    ref = stats(reference, 256)
    ours = stats(list(LublinSource(10_000, 256, kind="typeless", seed=3).records()), 256)
    assert ours["serial"] == pytest.approx(ref["serial"], abs=0.02)
    assert ours["pow2"] == pytest.approx(ref["pow2"], abs=0.05)
    assert ours["median_run"] == pytest.approx(ref["median_run"], rel=0.3)
    assert ours["load"] == pytest.approx(ref["load"], rel=0.35)


def test_model_sizes_stay_within_the_system():
    records = list(LublinSource(2000, 64, kind="batch", seed=1).records())
    assert max(r.alloc_procs for r in records) <= 64 and min(r.alloc_procs for r in records) >= 1
    assert {r.queue for r in records} == {1}


def test_estimates_are_modal_and_never_below_the_runtime():
    model = EstimateModel(seed=1)
    runtimes = np.random.default_rng(0).exponential(3000, 5000)
    estimates = [model.estimate(r) for r in runtimes]
    assert all(e >= r for e, r in zip(estimates, runtimes))
    values, counts = np.unique(estimates, return_counts=True)
    top = np.sort(counts)[::-1][:5].sum() / len(estimates)
    assert len(values) <= 23 and top > 0.6


def test_storm_all_at_once_then_at_a_rate():
    burst = list(StormSource(50, seed=1))
    assert {s.submit_s for s in burst} == {0.0}
    paced = list(StormSource(5, rate=10, seed=1))
    assert [round(s.submit_s, 6) for s in paced] == [0, 0.1, 0.2, 0.3, 0.4]
    poisson = [s.submit_s for s in StormSource(4000, rate=100, poisson=True, seed=1)]
    assert np.mean(np.diff(poisson)) == pytest.approx(0.01, rel=0.1)


def test_storm_size_and_runtime_distributions():
    specs = list(StormSource(500, size="pow2:2-16", runtime="5-10", seed=2))
    assert {s.procs for s in specs} <= {2, 4, 8, 16}
    assert all(5 <= s.runtime_s <= 10 and s.time_limit_s >= s.runtime_s for s in specs)


@pytest.mark.parametrize("option, value", [("size", "0"), ("size", "zipf:3"), ("runtime", "a-b"),
                                           ("runtime", "9-3")])
def test_storm_rejects_bad_distributions(option, value):
    with pytest.raises(InputError, match=f"field {option}="):
        StormSource(1, **{option: value})


def test_mix_takes_weighted_shares_in_submit_order():
    mix = MixSource([(3, StormSource(1000, rate=1, seed=1)),
                     (1, StormSource(1000, rate=0.5, size="8", seed=2))], jobs=400)
    specs = list(mix)
    assert len(specs) == 400 and sum(s.procs == 8 for s in specs) == 100
    assert [s.submit_s for s in specs] == sorted(s.submit_s for s in specs)
    assert [s.seq for s in specs] == list(range(400))


def test_compress_keeps_or_scales_the_load(kth9):
    specs = list(TraceSource(kth9))
    fast = list(compress(specs, arrival=10, runtime=10))
    assert [f.submit_s * 10 for f in fast] == [s.submit_s for s in specs]
    assert [f.runtime_s * 10 for f in fast] == [s.runtime_s for s in specs]
    loaded = list(compress(specs, arrival=2))
    assert [job.runtime_s for job in loaded] == [s.runtime_s for s in specs]


def test_scale_procs_onto_a_smaller_cluster(kth9):
    specs = list(TraceSource(kth9))                       # sizes 10..90 of 100
    scaled = list(scale_procs(specs, from_procs=100, to_procs=20, cpus_per_node=4,
                              whole_nodes=True))
    assert [s.procs for s in scaled] == [max(1, round(p.procs / 5)) for p in specs]
    assert all(s.nodes == -(-s.procs // 4) for s in scaled)


def test_cap_runtime_and_map_users(kth9):
    specs = list(cap_runtime(TraceSource(kth9), 1500))
    assert max(s.runtime_s for s in specs) == 1500 and max(s.time_limit_s for s in specs) == 1500
    users = {s.user for s in map_users(specs, fold=1)}
    assert users == {"u1"}
    renamed = list(map_users(specs, mapping={"u17": "alice"}, accounts={"alice": "physics"}))
    assert renamed[0].user == "alice" and renamed[0].account == "physics"
