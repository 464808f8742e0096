"""What the plugin-and-links tests share: a small e2e suite of their own, run with pytest in a
subprocess with ``--netra-record`` against the embedded service on a loopback port (port 0),
its JUnit and cassettes read back. No test here: the module is imported by its neighbours."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netra_diag.suites import sanitise_nodeid

CONFTEST = """
import time

import pytest
import pytest_asyncio

from netra_diag.emulator import AuthMode, EmulatorConfig, FaultPlan, TimingProfile, run_service
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token


@pytest.fixture
def token():
    return mint_token("user-qa-1", key=LOCAL_DEV_SECRET, now=time.time())


def _config(**kw):
    return EmulatorConfig(host="127.0.0.1", port=0, timing=TimingProfile.instant(), **kw)


@pytest_asyncio.fixture
async def service():
    async with run_service(_config()) as svc:
        yield svc


@pytest_asyncio.fixture
async def demo_service():
    async with run_service(_config(auth=AuthMode.DEMO)) as svc:
        yield svc


@pytest_asyncio.fixture
async def stalling_service():
    async with run_service(_config(faults=FaultPlan({"stall": 1.0}, stall_s=30))) as svc:
        yield svc
"""

INI = """[pytest]
asyncio_mode = strict
asyncio_default_fixture_loop_scope = function
"""


@dataclass(frozen=True)
class SuiteRun:
    junit: Path
    recordings: Path
    stdout: str
    returncode: int

    def cassette(self, nodeid: str, index: int = 0) -> Path:
        stem = sanitise_nodeid(nodeid)
        return self.recordings / (f"{stem}.jsonl" if index == 0 else f"{stem}.{index}.jsonl")

    def labels(self, nodeid: str, index: int = 0) -> dict[str, Any]:
        """The cassette's labels but ``run`` (a time stamp and a random suffix)."""
        first = self.cassette(nodeid, index).read_text(encoding="utf-8").splitlines()[0]
        labels: dict[str, Any] = json.loads(first)["labels"]
        labels.pop("run", None)
        return labels


def run_suite(
    tmp: Path, tests: str, *args: str, conftest_extra: str = "", timeout: float = 120
) -> SuiteRun:
    """Write ``tests`` as ``test_agent.py`` beside the shared conftest and run pytest on it."""
    suite = tmp / "suite"
    suite.mkdir(parents=True, exist_ok=True)
    (suite / "pytest.ini").write_text(INI, encoding="utf-8")
    (suite / "conftest.py").write_text(CONFTEST + conftest_extra, encoding="utf-8")
    (suite / "test_agent.py").write_text(tests, encoding="utf-8")
    out = tmp / "out"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            f"--basetemp={tmp / 'basetemp'}",
            f"--junitxml={out / 'junit.xml'}",
            f"--netra-record={out / 'rec'}",
            *args,
        ],
        cwd=suite,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return SuiteRun(out / "junit.xml", out / "rec", done.stdout + done.stderr, done.returncode)
