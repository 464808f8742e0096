"""A bad SLA file given with -p sla is refused before the notebook runs, naming the file and
line: the latency notebook once recorded a whole fan-out first and failed after it."""

from __future__ import annotations

from pathlib import Path

import pytest

from netra_diag.errors import UsageError
from netra_diag.report import run_report

BAD_PHASE = """[[check]]
id = "x"
phase = "bogus"
statistic = "max"
comparison = "<"
threshold = "1 s"
"""


def test_a_bad_sla_file_is_refused_before_anything_is_recorded(tmp_path: Path) -> None:
    sla = tmp_path / "sla.toml"
    sla.write_text(BAD_PHASE, encoding="utf-8")
    out = tmp_path / "out"
    with pytest.raises(UsageError, match=r"^parameter sla: .*sla\.toml:3: field 'phase'"):
        run_report("latency_sla", {"sla": str(sla)}, out_dir=out, html=False)
    assert not out.exists()  # nothing ran, nothing was recorded
