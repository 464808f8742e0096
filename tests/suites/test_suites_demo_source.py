"""The bundled triage example is what its pytest sources produce: regenerated into a temporary
directory (netra_diag/data/suites/source/make_results.py), it must triage the same as the files
``netra-diag triage --demo`` reads, so neither can change without the other."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from timeouts import scaled

from netra_diag.suites import TriageReport, triage

pytestmark = pytest.mark.slow

DATA = Path(str(files("netra_diag") / "data" / "suites"))
MAKE_RESULTS = DATA / "source" / "make_results.py"


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> tuple[TriageReport, TriageReport]:
    """(bundled, regenerated), each triaged against its own baseline."""
    out = tmp_path_factory.mktemp("regenerated")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    proc = subprocess.run(
        [sys.executable, str(MAKE_RESULTS), "--out", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=scaled(120),
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    bundled = triage(DATA / "current.xml", baseline=DATA / "baseline.xml")
    fresh = triage(out / "current.xml", baseline=out / "baseline.xml")
    return bundled, fresh


def _suites(report: TriageReport) -> dict[str, tuple[Any, ...]]:
    """Per suite: tests; passed, failed, errors, skipped; the baseline; fixed; new failures."""
    return {
        s.suite: (
            s.tests,
            (s.counts.passed, s.counts.failed, s.counts.errors, s.counts.skipped),
            s.baseline_text(),
            s.fixed,
            s.new_failures,
        )
        for s in report.suites
    }


def _verdicts(report: TriageReport) -> dict[str, tuple[str, str, str]]:
    """Each test's outcome and, when it failed, its cause's category and signature key (the
    normalised message: ports, ids and timings differ from run to run, the cause does not)."""
    cause = {t: (str(c.category), c.signature.key) for c in report.clusters for t in c.tests}
    return {
        row.test_id: (str(row.outcome), *cause.get(row.test_id, ("", "")))
        for row in report.current.rows
    }


def test_regenerated_results_give_the_same_headline(
    reports: tuple[TriageReport, TriageReport],
) -> None:
    bundled, fresh = reports
    assert fresh.headline == bundled.headline
    assert fresh.critical_observed == bundled.critical_observed


def test_regenerated_results_give_the_same_suite_counts(
    reports: tuple[TriageReport, TriageReport],
) -> None:
    bundled, fresh = reports
    assert _suites(fresh) == _suites(bundled)


def test_regenerated_results_give_the_same_causes(
    reports: tuple[TriageReport, TriageReport],
) -> None:
    bundled, fresh = reports
    categories = [Counter(str(c.category) for c in r.clusters) for r in (bundled, fresh)]
    assert categories[1] == categories[0]
    assert _verdicts(fresh) == _verdicts(bundled)
