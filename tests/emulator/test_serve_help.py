"""``netra-diag serve --help`` names every fault --faults accepts, split as the service rolls
them (per run, per connection): the help used to show one example and no list."""

from __future__ import annotations

import re

import pytest

from netra_diag.cli import main
from netra_diag.emulator import Fault


def test_help_lists_every_fault_where_it_is_rolled(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    out = capsys.readouterr().out.partition("faults (--faults")[2]
    per_run, _, per_connection = out.partition("per connection:")
    per_run = per_run.partition("per run:")[2]
    per_connection = per_connection.partition("exit codes:")[0]
    for fault in Fault:
        where = per_connection if fault.per_connection else per_run
        assert re.search(rf"\b{fault.value}\b", where), fault.value
