"""Shared pieces of the suite-triage tests: where fixtures live, runner summaries."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from timeouts import scaled

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "suites"
SRC = FIXTURES / "src"
_SUMMARY_WORDS = re.compile(r"(\d+) (failed|passed|skipped|xfailed|xpassed|errors?|warnings?)")


# A test module whose one test errors in set-up (its fixture's import) and then in teardown (the
# pool fixture under it): pytest reports both, "2 errors" for one test.
SETUP_AND_TEARDOWN = """
import pytest


@pytest.fixture
def session_pool():
    yield "pool"
    raise RuntimeError("session pool still holds 3 open connections")


@pytest.fixture
def agent(session_pool):
    raise OSError("agent registry not reachable")


def test_agent(agent):
    pass
"""


def has_json_report() -> bool:
    try:
        import pytest_jsonreport  # noqa: F401
    except ImportError:
        return False
    return True


def parse_pytest_summary(stdout: str) -> dict[str, int]:
    """``{"failed": 18, "passed": 6, ...}`` from pytest's last summary line."""
    lines = [ln for ln in stdout.strip().splitlines() if ln.strip()]
    found = dict.fromkeys(("failed", "passed", "skipped", "xfailed", "xpassed", "errors"), 0)
    for n, word in _SUMMARY_WORDS.findall(lines[-1]):
        key = "errors" if word.startswith("error") else word
        if key in found:
            found[key] = int(n)
    return found


def node_summary(path: Path) -> dict[str, int]:
    """The ``ℹ tests 7`` … block of node's spec reporter."""
    found: dict[str, int] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^ℹ (tests|pass|fail|cancelled|skipped|todo) (\d+)$", line.strip())
        if m:
            found[m.group(1)] = int(m.group(2))
    return found


@dataclass(frozen=True)
class PytestRun:
    xunit1: Path
    xunit2: Path
    json: Path | None
    recordings: Path
    summary: dict[str, int]
    summary_xunit2: dict[str, int]


@dataclass(frozen=True)
class NodeRun:
    junit: Path
    summary: dict[str, int]
    generated: bool


def jest_says(summary: Path) -> tuple[dict[str, int], dict[str, int]]:
    """jest's "Test Suites:" and "Tests:" lines (a fixture's summary.txt), as {word: number}."""
    suites_line, tests_line = summary.read_text(encoding="utf-8").splitlines()
    numbers = r"(\d+) (failed|passed|skipped|todo|total)"
    return (
        {w: int(n) for n, w in re.findall(numbers, suites_line)},
        {w: int(n) for n, w in re.findall(numbers, tests_line)},
    )


def run_case_module(src: Path, name: str, source: str, *args: str, ini: str = "") -> str:
    """Run ``source``, written as ``src/case_<name>.py``, with pytest in ``src`` (the project's
    own test run never collects case_*.py) and ``args``; pytest's stdout. ``ini``: more lines
    of its pytest.ini. Fails unless pytest exits 1, as a suite with failures does."""
    config = src / "pytest.ini"
    (src / f"case_{name}.py").write_text(source, encoding="utf-8")
    config.write_text(f"[pytest]\npython_files = case_*.py\n{ini}", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    proc = subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q"),
            *("-c", str(config), "--rootdir", str(src), f"--basetemp={src / 'tmp'}"),
            *args,
        ],
        cwd=src,
        env=env,
        capture_output=True,
        text=True,
        timeout=scaled(120),
        check=False,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    return proc.stdout
