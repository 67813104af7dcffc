"""Sink configuration: options > environment > config file > defaults, with clear errors."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from workload.errors import InputError
from workload.sinks.annotations import AnnotationSink
from workload.cli.sinkopts import run_cluster, sink_options
from workload.sinks.config import SinkOptions, build_sinks, resolve
from workload.sinks.graphite import GraphiteSink
from workload.sinks.logstash import LogstashSink

NONE = {"graphite": None, "logstash": None}


@pytest.fixture(autouse=True)
def no_user_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A config file in the tester's home must not change what these tests see."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))


def config_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


def test_option_beats_environment_beats_file(tmp_path: Path) -> None:
    path = config_file(tmp_path, "graphite: {address: 'file:1', interval: 2}\n"
                                 "logstash: {url: 'udp://file:3'}\nsinks: {buffer_max: 7}\n")
    env = {"WLGEN_GRAPHITE": "env:1", "WLGEN_LOGSTASH": "tcp://env:2"}
    options = resolve({"graphite": "cli:1", "logstash": None}, env, path)
    assert options == SinkOptions(graphite="cli:1", logstash="tcp://env:2",
                                  metrics_interval=2, buffer_max=7)


def test_missing_default_file_means_defaults() -> None:
    assert resolve(NONE, env={}) == SinkOptions()


@pytest.mark.parametrize("text, message", [
    ("graphite: {adress: 'h:1'}\n", "field graphite.adress='h:1': unknown key; known: address"),
    ("graphite: {interval: fast}\n", "field graphite.interval='fast': must be a number"),
    ("grafana: {}\n", "field grafana={}: unknown section"),
    ("sinks: {buffer_max: true}\n", "field sinks.buffer_max=True: must be an integer"),
    ("- a\n", "field (top)=['a']: must be a mapping"),
    ("graphite: [\n", "config.yaml:2: not valid YAML"),
    # the one safe loader of user YAML (workload.safeyaml), as for scenarios:
    ("graphite: {address: 'a:1'}\ngraphite: {address: 'b:2'}\n",
     "config.yaml:2: not valid YAML: duplicate key 'graphite'"),
    ("graphite: {interval: " + "9" * 5000 + "}\n", "not valid YAML: Exceeds the limit"),
    ("[" * 5000, "nested more than 100 levels deep"),
])
def test_config_errors_name_file_key_and_rule(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(InputError) as err:
        resolve(NONE, env={}, config=config_file(tmp_path, text))
    assert message in str(err.value) and str(tmp_path) in str(err.value)


@pytest.mark.parametrize("settings, field", [
    ({"graphite": "nohostport"}, "graphite"), ({"logstash": "http://h:1"}, "logstash"),
    ({"graphite_web": "h:80"}, "graphite-web"), ({"metrics_interval": 0}, "metrics-interval"),
])
def test_bad_values_are_input_errors(settings: dict, field: str) -> None:
    with pytest.raises(InputError, match=f"field {field}="):
        resolve(settings, env={})


def test_explicit_config_file_must_exist(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="config file not found"):
        resolve(NONE, env={}, config=tmp_path / "nope.yaml")


def test_build_sinks_turns_on_what_is_configured(tmp_path: Path) -> None:
    options = SinkOptions(graphite="127.0.0.1:2003", graphite_web="http://127.0.0.1:8080",
                          logstash="udp://127.0.0.1:5000", annotate="failures", buffer_max=9)
    sinks = build_sinks(options, run_dir=tmp_path)
    assert [type(s) for s in sinks] == [GraphiteSink, AnnotationSink, LogstashSink]
    assert all(s.spool_dir == tmp_path / "spool" and s.buffer_max == 9 for s in sinks)
    assert sinks[1].filter == "failures" and sinks[2].scheme == "udp"
    assert build_sinks(SinkOptions()) == []


def test_sink_options_decorator_hands_the_command_resolved_options(tmp_path: Path) -> None:
    seen = []

    @click.command()
    @sink_options
    def run(sinks: SinkOptions) -> None:
        seen.append(sinks)

    path = config_file(tmp_path, "graphite: {web: 'http://127.0.0.1:8080'}\n")
    result = CliRunner().invoke(run, ["--graphite", "127.0.0.1:2003", "--annotate", "startend",
                                      "--sink-buffer-max", "5", "--config", str(path)],
                                env={"WLGEN_LOGSTASH": "tcp://127.0.0.1:5000"})
    assert result.exit_code == 0, result.output
    assert seen == [SinkOptions(graphite="127.0.0.1:2003", graphite_web="http://127.0.0.1:8080",
                                logstash="tcp://127.0.0.1:5000", annotate="startend",
                                buffer_max=5)]
    assert "--graphite-web" in CliRunner().invoke(run, ["--help"]).output


def test_a_login_node_run_takes_no_container_clusters_monitoring(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLURM_CONF", "/etc/slurm/slurm.conf")
    assert run_cluster({}) is None               # unnamed + SLURM_CONF: this host's Slurm
    assert run_cluster({"cluster": "hx"}) == "hx"    # --cluster passed in wins
    monkeypatch.delenv("SLURM_CONF")
    assert run_cluster({}) == "wlgen"            # unnamed: the default container cluster


def test_cluster_reaches_the_command_and_its_sinks_as_an_argument(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """No ctx.meta: --cluster comes to the command as ``slurm`` and the sink options ask
    that cluster's monitoring (and only it) for endpoints."""
    from workload.cli import sinkopts
    from workload.cli.options import slurm_options
    asked, seen = [], []
    monkeypatch.setattr(sinkopts, "cluster_monitoring",
                        lambda name: asked.append(name) or {})

    @click.command()
    @slurm_options
    @sink_options
    def run(slurm: dict, sinks: SinkOptions) -> None:
        seen.append(slurm)

    result = CliRunner().invoke(run, ["--cluster", "hx", "--slurm-url", "http://x:1"])
    assert result.exit_code == 0, result.output
    assert seen == [{"cluster": "hx", "slurm_url": "http://x:1"}] and asked == ["hx"]
