"""Fixtures for the suite-triage tests: real runner output, made once per session.

The pytest fixture suites under tests/fixtures/suites/src are run here in a subprocess (xunit1 +
pytest-json-report + --netra-record, then xunit2); node's test runner is run when node is on
PATH, otherwise its committed output is used.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from suite_runs import (
    FIXTURES,
    SRC,
    NodeRun,
    PytestRun,
    has_json_report,
    node_summary,
    parse_pytest_summary,
)


def _run_pytest(basetemp: Path, *extra: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "--continue-on-collection-errors",
        "-q",
        "-c",
        str(SRC / "pytest.ini"),
        "--rootdir",
        str(SRC),
        # Its own temporary root: pytest prunes old pytest-N dirs, which would include ours.
        f"--basetemp={basetemp}",
        *extra,
    ]
    proc = subprocess.run(
        cmd, cwd=SRC, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 1, f"fixture suites must fail (exit 1):\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


@pytest.fixture(scope="session")
def pyrun(tmp_path_factory: pytest.TempPathFactory) -> PytestRun:
    out = tmp_path_factory.mktemp("pytest-fixture-run")
    json_args = (
        ["--json-report", "--json-report-omit=log", f"--json-report-file={out / 'report.json'}"]
        if has_json_report()
        else []
    )
    first = _run_pytest(
        out / "tmp1",
        "-o",
        "junit_family=xunit1",
        f"--junitxml={out / 'xunit1.xml'}",
        f"--netra-record={out / 'rec'}",
        *json_args,
    )
    second = _run_pytest(
        out / "tmp2", "-o", "junit_family=xunit2", f"--junitxml={out / 'xunit2.xml'}"
    )
    return PytestRun(
        xunit1=out / "xunit1.xml",
        xunit2=out / "xunit2.xml",
        json=out / "report.json" if json_args else None,
        recordings=out / "rec",
        summary=parse_pytest_summary(first),
        summary_xunit2=parse_pytest_summary(second),
    )


@pytest.fixture(scope="session")
def node_run(tmp_path_factory: pytest.TempPathFactory) -> NodeRun:
    committed = FIXTURES / "node"
    node = shutil.which("node")
    if node is None:
        return NodeRun(
            committed / "agent_events.junit.xml", node_summary(committed / "summary.txt"), False
        )
    out = tmp_path_factory.mktemp("node-run")
    spec = out / "spec.txt"
    subprocess.run(
        [
            node,
            "--test",
            "--test-reporter=junit",
            f"--test-reporter-destination={out / 'junit.xml'}",
            "--test-reporter=spec",
            f"--test-reporter-destination={spec}",
            "agent_events.test.mjs",
        ],
        cwd=committed,
        capture_output=True,
        timeout=60,
        check=False,
    )
    return NodeRun(Path(out / "junit.xml"), node_summary(spec), True)
