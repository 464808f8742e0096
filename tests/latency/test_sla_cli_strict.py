"""``sla check --strict`` refuses a required pass that proves little, and the SLA example in
``sla check --help`` is a file ``sla`` accepts."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from latency_kit import healthy_session

from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode
from netra_diag.cli.sla import _EPILOG
from netra_diag.latency import parse_sla

OWN = """\
[[check]]
id = "connect-p99"
phase = "connect"
statistic = "p99"
comparison = "<"
threshold = "5 s"
"""


def test_strict_fails_a_pass_on_three_samples(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cassettes = [str(healthy_session(tmp_path / f"{u}.jsonl", user=u)) for u in "abc"]
    sla = tmp_path / "own.toml"
    sla.write_text(OWN, encoding="utf-8")
    assert main(["sla", "check", str(sla), *cassettes]) == ExitCode.OK
    assert "passed on too few samples" in capsys.readouterr().out.splitlines()[0]
    assert main(["sla", "check", str(sla), *cassettes, "--strict"]) == ExitCode.SLA_BREACH
    out = capsys.readouterr().out
    assert "--strict: 1 required check passed without proof (connect-p99): exit 6" in out
    assert main(["sla", "check", str(sla), *cassettes, "--strict", "--json"]) == 6
    doc = json.loads(capsys.readouterr().out)
    assert doc["unproven_required"] == ["connect-p99"] and doc["exit_code"] == 6


def test_help_example_is_a_valid_sla() -> None:
    block = _EPILOG.split("validates it and lists its checks):\n", 1)[1].split("\n\n", 1)[0]
    text = "\n".join(re.sub(r"^  ", "", line) for line in block.splitlines())
    check = parse_sla(text).checks[0]
    assert check.rule == "p95 < 2 s" and check.source == "client"
