"""events.jsonl lines: Event.to_json, built by hand for speed, says what json.dumps says.

The standard library's encoder is the oracle (compact separators, ASCII escapes): names
that need escaping (quotes, backslashes, newlines, non-ASCII, a literal backslash-n)
must not fool the one-call escaping of node and GPU lists.
"""

from __future__ import annotations

import json

import pytest

from workload.event import Event

NAMES = [(), ("n1",), ("n1", "n2"), tuple(f"n{i}" for i in range(256)), ('a"b', "c"),
         ("a\\nb",), ("x\ny", "z"), ("\n",), ("é", "ü"), ("a,b", "c"), ("\\", "n"), ("", ""),
         ("",), ("tab\there",)]


@pytest.mark.parametrize("names", NAMES)
def test_to_json_is_json_dumps_of_to_dict(names):
    for event in (Event("start", 1767225600.25, 7, "sim-7", "RUNNING", "u1", "batch", 4, names,
                        gpus=names, priority=12),
                  Event("end", 1767225601.0, 7, "sim-7", "COMPLETED", "u\"1", "b", 4, names,
                        exit_code=0, reason="x\ny", submit_latency_s=0.5, submit_error_s=-1.0)):
        line = event.to_json()
        assert line == json.dumps(event.to_dict(), separators=(",", ":"))
        assert Event.from_dict(json.loads(line)) == event


def test_non_finite_numbers_are_null():
    line = Event("submit", 1.0, 1, "j", "PENDING", submit_latency_s=float("nan")).to_json()
    assert json.loads(line)["submit_latency_s"] is None
