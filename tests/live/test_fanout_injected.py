"""``netra-diag fanout --faults ...`` on the embedded service: the summary and the JSON say what
the service injected, so what the fan-out found (events lost, cross-user events) can be set
against what was done. Against a URL nothing is claimed."""

from __future__ import annotations

import json
import re

import pytest

from netra_diag.cli import main

FAST = ["--time-scale", "0", "--no-progress"]


def number(pattern: str, text: str) -> int:
    found = re.search(pattern, text)
    assert found is not None, (pattern, text)
    return int(found.group(1))


def test_summary_counts_what_the_service_injected(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["fanout", "--users", "6", "--runs", "3", "--timeout", "1"]
    main([*argv, "--faults", "drop_event@0.5,leak_other_user@0.3", *FAST])
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.startswith("  injected faults:"))
    dropped, leaked = number(r"drop_event ×(\d+)", line), number(r"leak_other_user ×(\d+)", line)
    assert dropped == number(r"(\d+) of \d+ expected critical events lost", out) > 0, out
    assert f" {leaked} cross-user event" in out, out


def test_json_has_the_fault_log_counts(capsys: pytest.CaptureFixture[str]) -> None:
    main(["fanout", "--users", "3", "--faults", "duplicate_event", "--json", *FAST])
    data = json.loads(capsys.readouterr().out)
    assert data["injected_faults"] == {"duplicate_event": 3}


def test_a_clean_run_injects_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    main(["fanout", "--users", "2", *FAST])
    out = capsys.readouterr().out
    assert "injected faults" not in out


def test_help_names_every_line_the_summary_may_print(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["fanout", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    for line in ("not connected", "auth failed", "auth bypassed", "auto fallback"):
        assert f'("{line}"' in out, line
    assert '("injected faults", from its fault log' in out
