"""``netra-diag serve`` refuses a bad --time-scale or --idle-heartbeat naming the option as typed
(the messages used to name configuration fields: 'idle_heartbeat_s must be > 0',
'TimingProfile.time_scale must be ...')."""

from __future__ import annotations

from pathlib import Path

import pytest

from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--time-scale", "-1"], "--time-scale must be a factor >= 0 (0 = no sleeps), got -1"),
        (["--time-scale", "nan"], "--time-scale must be a factor >= 0"),
        (["--idle-heartbeat", "0"], "--idle-heartbeat must be a number of seconds > 0, got 0"),
        (["--idle-heartbeat", "inf"], "--idle-heartbeat must be a number of seconds > 0"),
    ],
)
def test_bad_numbers_name_the_option(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve", "--port", "0", *argv]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert message in err, err
    assert "_s " not in err and "TimingProfile" not in err, err


@pytest.mark.parametrize("where", ["a-folder", "missing/x.jsonl"])
def test_an_unwritable_fault_log_is_a_usage_error(
    where: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a-folder").mkdir()
    path = str(tmp_path / where)
    assert main(["serve", "--port", "0", "--fault-log", path]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert f"--fault-log {path}: " in err and "cannot listen" not in err, err
