"""A run (or suite) where nothing ran, of skips and expected failures: said as it was. It read
"all 3 tests skipped" of 2 skips and an xfail, which pytest's own summary counts apart."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from timeouts import scaled

from netra_diag.cli import main
from netra_diag.suites import triage

SOURCE = """
import pytest


@pytest.mark.skip(reason="staging unreachable")
def test_a():
    pass


@pytest.mark.skip(reason="staging unreachable")
def test_b():
    pass


@pytest.mark.xfail(reason="known")
def test_c():
    assert False
"""


def test_skips_and_xfails_are_named_apart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    xml = tmp_path / "run.xml"
    (tmp_path / "test_none_ran.py").write_text(SOURCE, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", f"--junitxml={xml}"],
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")},
        capture_output=True,
        text=True,
        timeout=scaled(120),
        check=False,
    )
    assert done.returncode == 0 and "2 skipped, 1 xfailed" in done.stdout, done.stdout
    details = [v.detail for v in triage([xml]).vacuous]
    assert any(
        d == "all 3 tests skipped or xfailed (2 skipped, 1 xfailed): nothing ran" for d in details
    ), details
    assert main(["triage", str(xml), "--strict"]) == 3
    assert "all 3 tests skipped or xfailed" in capsys.readouterr().out
