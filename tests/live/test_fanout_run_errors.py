"""``netra-diag fanout`` whose runs fail without a close or a contract finding (an endpoint that
runs no agent, a timeout): the summary and the JSON quote the first run's error of each class,
since the class alone ('error ×2') says nothing."""

from __future__ import annotations

import json

import pytest
from live_kit import emulator

from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode


def test_an_echo_endpoint_is_explained(capsys: pytest.CaptureFixture[str]) -> None:
    with emulator() as svc:
        url = svc.url.removesuffix("/ws") + "/ws/test"
        code = main(["fanout", url, "--users", "2", "--no-progress", "--timeout", "5"])
    out = capsys.readouterr().out
    assert code == ExitCode.CONTRACT, out
    lines = out.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("  errors by class:"))
    assert "error ×2" in lines[at], out
    assert lines[at + 1].startswith("    e.g. fanout-user-0000 run 0: no agent will run"), out


def test_json_quotes_a_timeout(capsys: pytest.CaptureFixture[str]) -> None:
    # (seeded: one of these 30 runs loses its agent_completed and waits out its timeout)
    argv = ["fanout", "--users", "10", "--runs", "3", "--faults", "drop_event@0.3", "--json"]
    main([*argv, "--timeout", "0.5", "--time-scale", "0", "--no-progress"])
    data = json.loads(capsys.readouterr().out)
    examples = data["run_error_examples"]
    assert data["errors"]["timeout"] >= 1, data["errors"]
    assert examples["timeout"].startswith("fanout-user-"), examples


def test_a_clean_run_quotes_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    main(["fanout", "--users", "2", "--time-scale", "0", "--no-progress", "--json"])
    assert json.loads(capsys.readouterr().out)["run_error_examples"] == {}
