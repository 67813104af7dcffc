"""A whole wlgen run with every sink on, against real carbon, graphite-web and rsyslog.

The sinks are fed by the relay process that follows events.jsonl: this checks that what
the run recorded is exactly what each receiver got.
"""

from __future__ import annotations

import json
import time

import pytest
from click.testing import CliRunner

from workload.cli.main import cli
from workload.sinks.logstash import LogstashSink

from .receivers import wait_for

pytestmark = [pytest.mark.graphite, pytest.mark.rsyslog]


def test_storm_events_reach_every_sink_once(tmp_path, carbon, graphite_web, rsyslog):
    started = time.time()
    result = CliRunner().invoke(cli, [
        "storm", "--jobs", "30", "--rate", "30", "--runtime", "0.2", "--realtime",
        "--backend", "sim", "--out", str(tmp_path / "run"), "--json",
        "--graphite", carbon.address, "--graphite-web", graphite_web.url,
        "--logstash", rsyslog.url("tcp"), "--annotate", "all", "--metrics-interval", "0.2",
    ], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    run_id = metrics["run_id"]
    recorded = [json.loads(line) for line in (tmp_path / "run" / "events.jsonl").open()]
    assert len(recorded) == 90
    truth = {(e["seq"], e["kind"]) for e in recorded}

    received = wait_for(lambda: (r := rsyslog.records()) and len(r) >= 90 and r, 30,
                        "90 logstash events in rsyslog")
    assert len(received) == 90 and {(r["seq"], r["kind"]) for r in received} == truth
    assert {r["type"] for r in received} == {"wlgen"} and all("@timestamp" in r for r in received)

    annotations = graphite_web.events(f"wlgen {run_id}", started - 5, time.time() + 5)
    assert len(annotations) == 90
    assert sorted(a["what"].split()[2] for a in annotations) == sorted(e["kind"] for e in recorded)
    assert all(run_id in a["tags"] for a in annotations)

    target = f"wlgen.{run_id}.submitted"
    # Polled until the last sample shows: a first read under load had only 1 and 27.
    points = wait_for(lambda: (p := graphite_web.render(target, started - 5, time.time() + 5))
                      and max(p.values()) == 30 and p, 30, f"{target} reaching 30")
    assert max(points.values()) == 30

    accounting = json.loads((tmp_path / "run" / "accounting.json").read_text())
    for name in ("logstash", "annotations"):
        assert accounting["sinks"][name] == {"sent": 90, "buffered": 0, "dropped": 0,
                                             "recovered": 0}, name
    assert "sink logstash" in result.stderr


def test_a_record_cut_in_a_dead_runs_spool_is_counted_in_accounting(tmp_path, rsyslog):
    spool_dir = tmp_path / "spool"
    spool_dir.mkdir()
    left = LogstashSink(rsyslog.url("tcp"), spool_dir=spool_dir).spool_path("dead-run")
    whole = [json.dumps({"type": "wlgen", "seq": 1000 + i, "kind": "left"}) for i in range(2)]
    left.write_text("\n".join(whole) + '\n{"type": "wlgen", "se')   # its writer killed
    config = tmp_path / "config.yaml"
    config.write_text(f"sinks: {{spool_dir: {spool_dir}}}\n")
    result = CliRunner().invoke(cli, [
        "storm", "--config", str(config), "--jobs", "5", "--rate", "50", "--runtime", "0.1",
        "--realtime", "--backend", "sim", "--out", str(tmp_path / "run"),
        "--logstash", rsyslog.url("tcp")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    accounting = json.loads((tmp_path / "run" / "accounting.json").read_text())
    assert accounting["sinks"]["logstash"] == {"sent": 17, "buffered": 0, "dropped": 1,
                                               "recovered": 2, "cut": 1}
    assert "1 of the dropped cut mid-line" in result.stderr
    received = wait_for(lambda: (r := rsyslog.records()) and len(r) >= 17 and r, 30,
                        "17 records in rsyslog")
    assert sorted(r["seq"] for r in received if r.get("kind") == "left") == [1000, 1001]
