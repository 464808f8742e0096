"""The Python API refuses an empty path, as the CLI does (``baseline=os.environ.get("LAST_GREEN",
"")``): ``Path("")`` is the current folder, and a folder holding the new results was read as
their own baseline, passing the run against itself."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from netra_diag.errors import UsageError
from netra_diag.suites import triage

DEMO = Path(__file__).resolve().parents[2] / "netra_diag" / "data" / "suites" / "current.xml"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"baseline": ""},
        {"baseline": ["", "x.xml"]},
        {"history": ""},
        {"recordings": ""},
    ],
)
def test_an_empty_path_is_refused_naming_the_argument(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kwargs: dict[str, object]
) -> None:
    results = tmp_path / "current.xml"
    shutil.copy(DEMO, results)
    monkeypatch.chdir(tmp_path)  # (where "" would point)
    name = next(iter(kwargs))
    with pytest.raises(UsageError, match=f"triage: {name} is an empty path"):
        triage(os.fspath(results), **kwargs)  # type: ignore[arg-type]


def test_empty_results_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UsageError, match="triage: results is an empty path"):
        triage("")
