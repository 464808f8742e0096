"""``--record`` values that cannot name a cassette are usage errors (exit 2) naming the option:
an empty one made ``fanout`` record into the current folder and ``probe`` fail after its banner
with "Is a directory" (exit 1); ``-`` made a file (or folder) called ``-``; a file ``probe``
cannot create failed with exit 1, not as the bad option it is."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from netra_diag.cli import main


@pytest.mark.parametrize(
    ("command", "value", "said"),
    [
        ("probe", "", "--record is empty: give a file name, e.g. run.jsonl"),
        ("fanout", "", "--record is empty: give a folder name, e.g. cassettes/"),
        ("probe", "-", "--record -: cassettes are written to files, not to stdout"),
        ("fanout", "-", "--record -: cassettes are written to files, not to stdout"),
    ],
)
def test_a_record_value_naming_no_cassette_is_refused_before_anything_starts(
    command: str,
    value: str,
    said: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    code = main([command, "--record", value, *(["--users", "1"] if command == "fanout" else [])])
    out, err = capsys.readouterr()
    assert code == 2, out + err
    assert err.startswith(f"netra-diag {command}: error: {said}"), err
    assert out == ""  # no embedded service was started, nothing connected
    assert list(tmp_path.iterdir()) == []  # and nothing was written


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux /proc")
def test_a_cassette_probe_cannot_create_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["probe", "--time-scale", "0", "--record", "/proc/netra-probe.jsonl"])
    _, err = capsys.readouterr()
    assert code == 2, err
    assert err.strip() == (
        "netra-diag probe: error: --record /proc/netra-probe.jsonl: cannot open for writing: "
        "No such file or directory"
    )


def test_a_record_path_ending_in_a_slash_is_no_file_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # 'runs/' of a folder not made yet was written as a file called 'runs'.
    monkeypatch.chdir(tmp_path)
    assert main(["probe", "--record", "runs/"]) == 2
    assert capsys.readouterr().err.strip() == (
        "netra-diag probe: error: --record runs/: names a folder (it ends in /); give a file "
        "name (e.g. runs/probe.jsonl)"
    )
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "made").mkdir()
    assert main(["probe", "--record", "made/"]) == 2
    assert capsys.readouterr().err.strip() == (
        "netra-diag probe: error: --record made/: is a folder; give a file name "
        "(e.g. made/probe.jsonl)"
    )
