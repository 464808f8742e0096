"""An SLA whose checks are all optional and none had data showed nothing: its verdict is
NOT VERIFIED, not "PASS — 0 of 1 checks pass"."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from latency_kit import healthy_session

from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode
from netra_diag.latency import evaluate_sla, parse_sla

OPTIONAL = """\
[[check]]
phase = "reconnect"
statistic = "max"
comparison = "<"
threshold = "5 s"
required = false
"""


def test_nothing_passed_is_not_a_pass() -> None:
    rows = pd.DataFrame({"phase": ["connect"] * 3, "value_ms": [10.0, 11.0, 12.0], "ok": True})
    report = evaluate_sla(parse_sla(OPTIONAL), rows)
    assert report.verdict == "NOT VERIFIED" and not report.passed
    assert report.headline.startswith("SLA '<string>': NOT VERIFIED — 0 of 1 checks pass")


def test_an_optional_pass_still_passes() -> None:
    rows = pd.DataFrame({"phase": ["reconnect"] * 3, "value_ms": [10.0, 11.0, 12.0], "ok": True})
    report = evaluate_sla(parse_sla(OPTIONAL), rows)
    assert report.verdict == "PASS" and report.passed


def test_cli_exits_6_when_nothing_was_shown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sla = tmp_path / "optional.toml"
    sla.write_text(OPTIONAL, encoding="utf-8")
    cassette = str(healthy_session(tmp_path / "a.jsonl"))
    # healthy_session has a reconnect: drop it by checking a phase it lacks.
    sla.write_text(OPTIONAL.replace("reconnect", "handshake"), encoding="utf-8")
    assert main(["sla", "check", str(sla), cassette]) == ExitCode.SLA_BREACH
    assert "NOT VERIFIED" in capsys.readouterr().out.splitlines()[0]
    assert main(["sla", "check", str(sla), cassette, "--allow-missing"]) == ExitCode.OK
