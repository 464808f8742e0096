"""PROTOCOL.md §9.4 and §9.9: an ``async def`` test in a ``unittest.TestCase`` "passes" under
pytest without running its body (the coroutine is never awaited). pytest-json-report keeps the
warning that says so; triage names the pass as one that proves little."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from suite_runs import has_json_report, parse_pytest_summary

from netra_diag.cli import main
from netra_diag.suites import VacuousKind, triage

MODULE = """\
import asyncio
import unittest


class TestLegacy(unittest.TestCase):
    def setUp(self):
        self.url = "ws://127.0.0.1:1/ws"

    async def test_coro(self):
        await asyncio.sleep(0)

    def test_sync(self):
        assert self.url


def test_plain():
    pass
"""


@pytest.mark.skipif(not has_json_report(), reason="pytest-json-report is not installed")
def test_a_coroutine_never_awaited_is_a_pass_that_proves_little(tmp_path: Path) -> None:
    (tmp_path / "test_legacy.py").write_text(MODULE)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            "--rootdir",
            str(tmp_path),
            "-c",
            os.devnull,
            "--json-report",
            f"--json-report-file={tmp_path / 'report.json'}",
            "test_legacy.py",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert parse_pytest_summary(proc.stdout)["passed"] == 3, proc.stdout
    report = triage(tmp_path / "report.json")
    never = [s for s in report.vacuous if s.kind is VacuousKind.NEVER_AWAITED]
    assert [s.subject for s in never] == ["test_legacy.TestLegacy::test_coro"]
    assert "pass never ran: coroutine never awaited" in report.headline
    assert report.headline.startswith("all 3 tests pass, but the pass proves little")
    assert main(["triage", str(tmp_path / "report.json"), "--strict"]) == 3
