"""``netra-diag serve``: an empty ``--transports`` or ``--fault-log`` is a usage error (they were
taken as "all transports" and "no fault log", silently), and an unknown transport among known
ones is named (it read "must name at least one of ...; got ['foo', 'header']")."""

from __future__ import annotations

import pytest

from netra_diag.cli import main

VALID = "header, subprotocol, query, ticket"


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (
            ["--transports", ""],
            f"--transports '' names no transport; transports must name at least one of {VALID}",
        ),
        (
            ["--transports", " , "],
            f"--transports ' , ' names no transport; transports must name at least one of {VALID}",
        ),
        (
            ["--transports", "header,foo"],
            f"--transports: unknown transport 'foo'; transports must name only {VALID}",
        ),
        (
            ["--transports", "Header,foo,bar"],
            f"--transports: unknown transports 'bar', 'foo'; transports must name only {VALID}",
        ),
        (["--fault-log", ""], "--fault-log is empty: give a file name, e.g. faults.jsonl"),
    ],
)
def test_empty_or_unknown_values_are_usage_errors(
    argv: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve", "--port", "0", *argv]) == 2
    out, err = capsys.readouterr()
    assert err.strip() == f"netra-diag serve: error: {said}"
    assert out == ""  # refused before listening
