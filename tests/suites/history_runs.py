"""A history of real pytest runs, for the tests of run history and baselines.

``run_history`` writes a test module whose tests read ``QA_RUN`` (1, 2, ...) to decide how they
behave in each run, and runs it with the real pytest once per run number, as CI would on
successive builds: each run writes its own JUnit XML or pytest-json-report file.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from timeouts import scaled

# One steady test, one that flips, one that a refused service breaks in run OUTAGE (an autouse
# fixture raising ConnectionRefusedError for every test), one that passes on retry in run
# RETRY (pytest-rerunfailures), all read from QA_RUN.
STEADY_FLIP_OUTAGE = """
import os
from pathlib import Path

import pytest

RUN = int(os.environ["QA_RUN"])
OUTAGE = int(os.environ.get("QA_OUTAGE", "0"))
FLIP_FAILS = {int(n) for n in os.environ.get("QA_FLIP_FAILS", "").split(",") if n}
RETRY = int(os.environ.get("QA_RETRY", "0"))


@pytest.fixture(autouse=True)
def service():
    if RUN == OUTAGE:
        raise ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 8000)")
    yield


def test_steady():
    assert True


def test_flip():
    assert RUN not in FLIP_FAILS, f"flip failed on run {RUN}"


def test_retry():
    attempts = Path(os.environ["QA_COUNTER"])
    n = int(attempts.read_text()) if attempts.exists() else 0
    attempts.write_text(str(n + 1))
    assert not (RUN == RETRY and n == 0), "first attempt failed"
"""


def run_history(
    where: Path,
    source: str,
    runs: Sequence[int],
    *,
    env: dict[str, str] | None = None,
    fmt: str = "xml",
    out: Path | None = None,
    name: str = "run-{n}",
) -> list[Path]:
    """Run ``source`` (as ``case_hist.py`` in ``where/src``) with pytest once per number in
    ``runs``, ``QA_RUN`` set to it, ``--reruns 1``; the results files written to ``out``
    (``where/runs``) named ``name`` (``{n}``: the run number), JUnit XML or (``fmt="json"``)
    pytest-json-report; ``fmt="both"`` writes both from one session, the XML's path returned
    (the JSON beside it)."""
    src = where / "src"
    src.mkdir(parents=True, exist_ok=True)
    out = out or where / "runs"
    out.mkdir(parents=True, exist_ok=True)
    (src / "case_hist.py").write_text(source, encoding="utf-8")
    config = src / "pytest.ini"
    config.write_text("[pytest]\npython_files = case_*.py\n", encoding="utf-8")
    base = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    base["PYTHONDONTWRITEBYTECODE"] = "1"
    written = []
    for n in runs:
        path = out / (name.format(n=n) + (".json" if fmt == "json" else ".xml"))
        report = (
            ["--json-report", f"--json-report-file={path}"]
            if fmt == "json"
            else [f"--junitxml={path}"]
        )
        if fmt == "both":
            report += ["--json-report", f"--json-report-file={path.with_suffix('.json')}"]
        run_env = {**base, **(env or {}), "QA_RUN": str(n)}
        run_env["QA_COUNTER"] = str(src / f"attempts-{out.name}-{path.stem}")
        proc = subprocess.run(
            [
                *(sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q"),
                *("-c", str(config), "--rootdir", str(src), f"--basetemp={src / 'tmp'}"),
                *("--reruns", "1", *report),
            ],
            cwd=src,
            env=run_env,
            capture_output=True,
            text=True,
            timeout=scaled(120),
            check=False,
        )
        assert proc.returncode in (0, 1), proc.stdout + proc.stderr
        assert path.is_file(), proc.stdout + proc.stderr
        written.append(path)
    return written
