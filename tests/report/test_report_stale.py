"""A report run into a folder that holds an earlier run's report, then interrupted (Ctrl-C):
the earlier report must not remain, or a CI step reading NAME.json afterwards takes the old
verdict (here a pass) for this run's, over recordings this run has already replaced."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from test_cli_interrupt import SLOW_COLLECTION, _interrupt_once

CLI = str(Path(sys.executable).with_name("netra-diag"))

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGINT to a child process")


def test_an_interrupted_run_leaves_no_earlier_report_behind(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    earlier = {"exit_code": 0, "status": "ok", "headline": "all 6 required checks pass"}
    (out / "investigation_report.json").write_text(json.dumps(earlier), encoding="utf-8")
    (out / "investigation_report.html").write_text("<p>all pass</p>", encoding="utf-8")
    (out / "investigation_report.ipynb").write_text("{}", encoding="utf-8")
    code, err, _ = _interrupt_once(
        [CLI, "report", "investigation_report", "--out", str(out), *SLOW_COLLECTION],
        out / "recordings",
    )
    assert code == 130, err
    assert err.strip().splitlines()[-1].startswith(f"interrupted: no report written to {out};")
    assert not list(out.glob("investigation_report*")), sorted(p.name for p in out.iterdir())


def test_a_run_without_html_leaves_no_earlier_page(tmp_path: Path) -> None:
    from netra_diag.report import run_report

    out = tmp_path / "out"
    out.mkdir()
    (out / "token_lab.html").write_text("<p>an earlier verdict</p>", encoding="utf-8")
    run_report("token_lab", {}, out_dir=out, html=False)
    assert not (out / "token_lab.html").exists()


def test_a_demo_interrupted_while_recording_leaves_no_earlier_report(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "investigation_report.json").write_text('{"exit_code": 0}', encoding="utf-8")
    code, err, _ = _interrupt_once(
        [CLI, "demo", "--users", "20", "--runs", "20", "--time-scale", "1.0", "--out", str(out)],
        out / "recordings",
    )
    assert code == 130, err
    assert "partial recordings in" in err
    assert not list(out.glob("investigation_report*")), sorted(p.name for p in out.iterdir())


def test_asyncio_does_not_report_the_kernel_an_interrupt_killed() -> None:
    # After Ctrl-C the kernel is killed; the cell's task then ends in DeadKernelError that
    # nobody awaits, and asyncio logged its traceback after the "interrupted" line.
    import logging

    from nbclient.exceptions import DeadKernelError

    from netra_diag.report.runner import _not_the_killed_kernel

    def record(exc: BaseException) -> logging.LogRecord:
        return logging.LogRecord(
            "asyncio",
            logging.ERROR,
            __file__,
            1,
            "Task exception was never retrieved",
            None,
            (type(exc), exc, None),
        )

    assert not _not_the_killed_kernel(record(DeadKernelError("Kernel died")))
    assert _not_the_killed_kernel(record(RuntimeError("something else")))
