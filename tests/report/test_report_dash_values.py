"""``netra-diag report -p KEY VALUE`` with a value starting with a dash (``-p ttl -5m``: a token
minted already expired), and the ``-p KEY=VALUE`` form: argparse stopped both with "expected 2
arguments". A real papermill run of token_lab; the argv rewrite on its own as well."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from netra_diag.cli import main
from netra_diag.cli.report_argv import mark_parameter_values, unmark


def test_a_dash_value_and_key_equals_value_reach_the_notebook(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "r"
    main(["report", "token_lab", "-p", "ttl", "-5m", "-p", "sub=alice", "--out", str(out)])
    captured = capsys.readouterr()
    assert "expected 2 arguments" not in captured.err
    summary = json.loads((out / "token_lab.json").read_text())
    assert summary["parameters"] == {"ttl": "-5m", "sub": "alice"}
    assert "[expired]" in captured.out


@pytest.mark.parametrize(
    ("argv", "parsed"),
    [
        (["report", "x", "-p", "ttl", "-5m"], ["report", "x", "-p", "ttl", "\0-5m"]),
        (["report", "-p", "a=b=c", "x"], ["report", "-p", "a", "b=c", "x"]),
        (["report", "x", "--parameter", "k", "v"], ["report", "x", "--parameter", "k", "v"]),
        # other commands, and a folder called "report", are left alone
        (["probe", "--record", "report", "-p", "1"], ["probe", "--record", "report", "-p", "1"]),
        (["triage", "report", "-p", "x", "-5"], ["triage", "report", "-p", "x", "-5"]),
    ],
)
def test_marking(argv: list[str], parsed: list[str]) -> None:
    assert mark_parameter_values(argv) == parsed
    assert [unmark(a) for a in parsed][-1] == parsed[-1].lstrip("\0")
