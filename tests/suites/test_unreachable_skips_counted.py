"""Tests skipped for want of a service are counted per suite: the suite table said "1× skipped:
service unreachable" of the first such test's suite alone, however many skipped where. Real
pytest shards, each its own suite (junit_suite_name)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from history_runs import run_history

from netra_diag.cli import main
from netra_diag.suites import triage

_SKIPS = """
import pytest


def test_{suite}_ok():
    pass


@pytest.mark.parametrize("n", range({n}))
def test_{suite}_live(n):
    pytest.skip("staging unreachable")
"""


@pytest.fixture(scope="module")
def shards(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("skips")
    for suite, n in (("auth", 3), ("events", 2)):
        env = {"PYTEST_ADDOPTS": f"-o junit_suite_name={suite}"}
        run_history(
            where / suite,
            _SKIPS.format(suite=suite, n=n),
            [1],
            env=env,
            out=where / "run",
            name=suite,
        )
    return where / "run"


def test_each_suite_counts_its_own_skips(shards: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = triage(shards)
    weak = {s.suite: s.weak_passes for s in report.suites}
    assert weak == {
        "auth": ("3× skipped: service unreachable",),
        "events": ("2× skipped: service unreachable",),
    }
    phrase = "5 tests skipped because the service was unreachable or not configured"
    assert phrase in [f.phrase for f in report.findings]
    assert "skipped, no service to test: auth: 3 tests skipped because" in report.to_text()
    assert main(["triage", str(shards), "--json"]) == 0
    vacuous = json.loads(capsys.readouterr().out)["vacuous"]
    assert [(v["subject"], v["tests"]) for v in vacuous] == [("auth", 3), ("events", 2)]
