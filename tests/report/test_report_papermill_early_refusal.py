"""Run by papermill itself, investigation_report and latency_sla refuse a missing results file or
a bad SLA file before they record a fan-out (``netra-diag report`` checks them before the run).
Before, a raw run recorded the whole fan-out first (15 s with the defaults at their pace, a
minute at a realistic one) and only then failed on the file."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from raw_papermill import papermill

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def printed(path: Path) -> str:
    nb = nbformat.read(str(path), as_version=4)
    return "".join(
        o.get("text", "")
        for c in nb.cells
        for o in c.get("outputs", ())
        if o.output_type == "stream"
    )


@pytest.mark.parametrize(
    ("name", "params", "refusal"),
    [
        (
            "investigation_report",
            ("results", "nope.xml"),
            "UsageError: parameter results: nope.xml: no such file or directory",
        ),
        (
            "investigation_report",
            ("results", "__file__", "baseline", "gone.xml"),
            "UsageError: parameter baseline: gone.xml: no such file or directory",
        ),
        (
            "investigation_report",
            ("sla", "nope.toml"),
            "ConfigFileError: nope.toml: cannot read SLA file: No such file or directory",
        ),
        (
            "latency_sla",
            ("sla", "nope.toml"),
            "ConfigFileError: nope.toml: cannot read SLA file: No such file or directory",
        ),
    ],
)
def test_a_missing_file_is_refused_before_recording(
    tmp_path: Path, name: str, params: tuple[str, ...], refusal: str
) -> None:
    (tmp_path / "here.xml").write_text("<testsuites/>", encoding="utf-8")
    params = tuple("here.xml" if p == "__file__" else p for p in params)
    run = papermill(tmp_path, name, *params, "users", "2", "runs", "1", "time_scale", "0.1")
    assert run.returncode != 0
    assert [line for line in run.stderr.splitlines() if line.strip()][-1] == refusal
    assert 'Exception encountered at "In [3]"' in run.stderr
    assert "recorded" not in printed(tmp_path / "out.ipynb")
