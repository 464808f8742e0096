"""``investigation.analyse``'s inputs: a mistyped folder is an error, not an empty investigation."""

from __future__ import annotations

from pathlib import Path

import pytest

from netra_diag import investigation
from netra_diag.errors import ReportParseError


def test_a_missing_recordings_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ReportParseError, match="no such directory \\(expected recordings\\)"):
        investigation.analyse(tmp_path / "nope", results=[])


def test_an_empty_recordings_folder_says_there_was_nothing_to_check(tmp_path: Path) -> None:
    inv = investigation.analyse(tmp_path, results=[])
    assert inv.headline.startswith("no recording to check")
