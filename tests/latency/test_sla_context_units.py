"""``sla check --context`` refuses a duration or size without its unit: read in the canonical
unit (bytes, ms), the remediation report's 229.5 MB and 31.95 s passed as 229.5 B and 31.95 ms."""

from __future__ import annotations

from pathlib import Path

import pytest
from latency_kit import healthy_session

from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode


@pytest.mark.parametrize(
    ("item", "words"),
    [
        ("memory_peak=229.5", "memory_peak needs a unit, e.g. 229.5MB; got '229.5'"),
        ("suite_duration=31.95", "suite_duration needs a unit, e.g. 31.95s; got '31.95'"),
    ],
)
def test_bare_numbers_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], item: str, words: str
) -> None:
    cassette = str(healthy_session(tmp_path / "a.jsonl"))
    code = main(["sla", "check", "remediation", cassette, "--context", item])
    assert code == ExitCode.USAGE
    assert f"--context {item!r}: {words}" in capsys.readouterr().err


def test_fractions_may_stay_bare(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cassette = str(healthy_session(tmp_path / "a.jsonl"))
    ctx = ["--context", "suite_success=0.25", "--context", "memory_peak=229.5MB"]
    code = main(["sla", "check", "remediation", cassette, *ctx])
    assert code in (ExitCode.OK, ExitCode.SLA_BREACH), capsys.readouterr().err


def test_confidence_as_a_percentage_says_how(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cassette = str(healthy_session(tmp_path / "a.jsonl"))
    assert main(["sla", "check", "service", cassette, "--confidence", "95"]) == ExitCode.USAGE
    assert "(0.95 for 95 %), got 95" in capsys.readouterr().err
