"""``netra-diag fanout --auth demo``: the 'auth bypassed' line names the id the server gave the
users as its events spell it ('demo-user-001'), not as ``connection_established`` truncates it
('demo-use...'), which names no mode."""

from __future__ import annotations

import json

import pytest

from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode

FAST = ["--time-scale", "0", "--no-progress"]


def test_bypass_line_names_the_whole_server_id(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["fanout", "--users", "3", "--auth", "demo", *FAST])
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.startswith("  auth bypassed:"))
    assert code == ExitCode.CONTRACT
    assert "(demo-user-001)" in line and "..." not in line.split(":", 1)[1][:90], line


def test_bypass_json_lists_whole_ids(capsys: pytest.CaptureFixture[str]) -> None:
    main(["fanout", "--users", "2", "--auth", "demo", "--json", *FAST])
    data = json.loads(capsys.readouterr().out)
    assert data["auth_bypassed"] == {"users": 2, "server_ids": ["demo-user-001"]}
