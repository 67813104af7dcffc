"""Faults as annotations: the documents, and what happens when monitoring is away.
(Against a real graphite-web and receiver: tests/cluster/test_collect_cluster.py.)"""

from __future__ import annotations

import json
import logging
import socket

from workload.cluster.collect.annotate import annotation, document, fault
from workload.cluster.monitoring import Endpoints


def test_annotation_tags_the_cluster_the_action_and_the_node():
    event = annotation("c1", "link_down", "n2", 1000.5, {"state": "DOWN+NOT_RESPONDING"})
    assert event["tags"] == ["wlgen", "c1", "fault", "link_down", "n2"]
    assert (event["what"], event["when"]) == ("fault link_down n2", 1000.5)
    assert json.loads(event["data"]) == {"cluster": "c1", "action": "link_down", "node": "n2",
                                         "state": "DOWN+NOT_RESPONDING"}


def test_receiver_document_reads_like_the_job_events():
    doc = document("c1", "node_down", "n1", 1796372000.25, {"outcome": "applied"})
    assert doc["@timestamp"] == "2026-12-04T08:13:20.250Z" and doc["@version"] == "1"
    assert (doc["type"], doc["action"], doc["node"], doc["outcome"]) == \
        ("wlgen-fault", "node_down", "n1", "applied")


def test_without_monitoring_nothing_is_sent():
    assert fault(None, "c1", "slow", "n1") is False


def test_monitoring_away_warns_and_never_raises(caplog):
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]   # closed once the with ends: refused at once
    ends = Endpoints(port, port, port, "/nowhere")
    with caplog.at_level(logging.WARNING):
        assert fault(ends, "c1", "link_up", "n2", timeout_s=2) is False
    said = [r.getMessage() for r in caplog.records]
    assert any("fault link_up n2 not annotated" in m for m in said)
    assert any("fault link_up n2 not sent to tcp://127.0.0.1" in m for m in said)
