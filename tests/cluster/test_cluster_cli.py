"""`wlgen cluster` command line: help with examples, usage errors exit 2."""

from __future__ import annotations

from click.testing import CliRunner

from workload.cli.main import cli


def test_every_subcommand_has_an_example_in_its_help() -> None:
    runner = CliRunner()
    for command in ("build", "up", "down", "status", "exec", "add-users"):
        result = runner.invoke(cli, ["cluster", command, "--help"])
        assert result.exit_code == 0 and "Example" in result.output, command


def test_bad_options_are_usage_errors() -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["cluster", "up", "--nodes", "0"]).exit_code == 2
    assert runner.invoke(cli, ["cluster", "up", "--slurm", "buster"]).exit_code == 2
    assert runner.invoke(cli, ["cluster", "up", "--engine", "lxc"]).exit_code == 2


def test_a_missing_cluster_is_one_clear_line(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("WLGEN_STATE_DIR", str(tmp_path))
    result = CliRunner().invoke(cli, ["cluster", "status", "--name", "nope"])
    assert result.exit_code == 1
    assert "no cluster named 'nope'" in result.output


def test_down_stale_with_no_dead_owner_removes_nothing(tmp_path, monkeypatch) -> None:
    import json

    from workload.cluster import owner
    monkeypatch.setenv("WLGEN_STATE_DIR", str(tmp_path))
    (tmp_path / "wlgen-mine").mkdir()
    (tmp_path / "wlgen-mine" / owner.OWNER_FILE).write_text(json.dumps(owner.me()))
    result = CliRunner().invoke(cli, ["cluster", "down", "--stale"])
    assert result.exit_code == 0, result.output
    assert "removed 0 stale cluster(s)" in result.output
    assert (tmp_path / "wlgen-mine").is_dir()          # a live owner's cluster stays
