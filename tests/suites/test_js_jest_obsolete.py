"""A jest run failed for an obsolete snapshot, every test passing (``jest_obsolete/`` under
``tests/fixtures/suites/``, see the README there): jest exits 1 and its JSON says
``success: false``; triage said "the one test passes" and nothing else."""

from __future__ import annotations

import pytest
from suite_runs import FIXTURES, jest_says

from netra_diag.cli import main
from netra_diag.suites import parse_jest_json
from netra_diag.suites.jest_json_snapshots import run_warnings

OBSOLETE = FIXTURES / "jest_obsolete"


def test_an_obsolete_snapshot_that_failed_the_run_is_said(
    capsys: pytest.CaptureFixture[str],
) -> None:
    suites, tests = jest_says(OBSOLETE / "obsolete.summary.txt")
    assert suites == {"passed": 1, "total": 1} and tests == {"passed": 1, "total": 1}
    snapshots = (OBSOLETE / "obsolete.snapshots.txt").read_text(encoding="utf-8")
    assert "1 obsolete" in snapshots
    run = parse_jest_json(OBSOLETE / "obsolete.json")
    assert run.counts.passed == 1 and not run.counts.failed
    [said] = run.warnings
    assert "jest failed the run for its snapshots (success: false): 1 obsolete snapshot" in said
    assert "'old payload 1' in /tmp/qajs5/__tests__/snap.test.js" in said
    main(["triage", str(OBSOLETE / "obsolete.json")])
    assert "jest exits 1 for it" in capsys.readouterr().out


def test_success_false_with_no_failing_test_and_no_snapshot_reason() -> None:
    said = run_warnings({"success": False, "snapshot": {"failure": False}}, "r.json", False)
    assert said and "did not succeed (success: false) though no test failed" in said[0]
    # a failing test, or a run that succeeded, needs no word
    assert not run_warnings({"success": False}, "r.json", True)
    assert not run_warnings({"success": True}, "r.json", False)
