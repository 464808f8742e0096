"""A comparison pointing the unusual way (a floor on a duration, a ceiling on a success rate) is
warned of: read literally, such a check passes on what is usually the failure."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from latency_kit import CassetteBuilder

from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode
from netra_diag.latency import CheckStatus, evaluate_sla, parse_sla

WRONG_WAY = """\
[[check]]
id = "connect-ok"
phase = "connect"
statistic = "success_rate"
comparison = "<"
threshold = "90 %"

[[check]]
id = "connect-p95"
phase = "connect"
statistic = "p95"
comparison = ">"
threshold = "5 s"

[[check]]
id = "fine"
phase = "connect"
statistic = "count"
comparison = ">="
threshold = "1"
"""


def test_wrong_way_checks_carry_a_warning() -> None:
    spec = parse_sla(WRONG_WAY)
    notes = [c.direction_note for c in spec.checks]
    assert "is a ceiling" in notes[0] and "'>' or '>='" in notes[0]
    assert "is a floor" in notes[1] and "'<' or '<='" in notes[1]
    assert notes[2] == ""
    # Every connect refused: the ceiling "passes", and its note says what it means.
    refused = pd.DataFrame({"phase": "connect", "value_ms": np.nan, "ok": [False] * 20})
    result = evaluate_sla(spec, refused).results[0]
    assert result.status is CheckStatus.PASS and "is a ceiling" in result.note


def test_cli_warns_on_check_and_show(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sla = tmp_path / "mine.toml"
    sla.write_text(WRONG_WAY, encoding="utf-8")
    assert main(["sla", "show", str(sla)]) == ExitCode.OK
    out = capsys.readouterr().out
    assert "warning: success_rate < 90 % is a ceiling" in out
    assert "warning: p95 > 5 s is a floor" in out
    main(["sla", "check", str(sla), str(_cassette(tmp_path))])
    err = capsys.readouterr().err
    assert "warning: check 'connect-ok': success_rate < 90 % is a ceiling" in err
    assert "check 'fine'" not in err


def _cassette(tmp_path: Path) -> Path:
    b = CassetteBuilder(user="u1")
    b.connect(0.0, 10.0, 5.0)
    return b.write(tmp_path / "u1.jsonl")
