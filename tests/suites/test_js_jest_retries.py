"""``jest.retryTimes(2)`` in a real jest run (``tests/fixtures/suites/jest_qa/retry.test.js``, see
the README there): ``jest --json`` writes each test's attempts in ``invocations`` and each failed
attempt's error in ``retryReasons``. A test that passed on its second attempt passed on retry
(flaky), as Surefire's ``flakyFailure`` says; it read as a plain pass."""

from __future__ import annotations

import json

import pytest
from suite_runs import FIXTURES

from netra_diag.cli import main
from netra_diag.suites import Outcome, load_results, parse_jest_json
from netra_diag.suites.model import ProblemKind

QA = FIXTURES / "jest_qa"
PASSED_ON_RETRY = " reconnects after server restart:: reconnects after server restart"
FAILED_THRICE = " handshake rejects bad subprotocol:: handshake rejects bad subprotocol"


def _attempts(title: str) -> tuple[int, int]:
    """What jest wrote of a test of retry.test.js: its invocations and its retryReasons."""
    data = json.loads((QA / "qa.json").read_text(encoding="utf-8"))
    [entry] = [e for e in data["testResults"] if e["name"].endswith("retry.test.js")]
    [test] = [t for t in entry["assertionResults"] if t["title"] == title]
    return test["invocations"], len(test["retryReasons"])


def test_a_pass_on_the_second_attempt_is_a_pass_on_retry() -> None:
    assert _attempts("reconnects after server restart") == (2, 1)
    run = parse_jest_json(QA / "qa.json")
    case = run.get(PASSED_ON_RETRY)
    assert case is not None and case.outcome is Outcome.PASSED
    assert case.passed_on_retry
    [earlier] = case.reruns
    assert earlier.kind is ProblemKind.FLAKY_FAILURE
    assert earlier.message == "Error: expect(received).toBeGreaterThan(expected)"
    assert run.counts.flaky == 1
    assert run.counts.passed == 17  # still a pass, as jest's "17 passed" says


def test_a_test_that_failed_every_attempt_keeps_the_earlier_ones_as_reruns() -> None:
    assert _attempts("handshake rejects bad subprotocol") == (3, 2)
    case = parse_jest_json(QA / "qa.json").get(FAILED_THRICE)
    assert case is not None and case.outcome is Outcome.FAILED
    assert [r.kind for r in case.reruns] == [ProblemKind.RERUN_FAILURE] * 2
    assert not case.passed_on_retry


def test_triage_says_a_test_passed_only_on_retry(capsys: pytest.CaptureFixture[str]) -> None:
    main(["triage", str(QA / "qa.json")])
    assert "1 test passed only on retry" in capsys.readouterr().out
    # beside the run's jest-junit XML (which keeps no attempt), the JSON's word stands
    both = load_results([QA / "qa.junit.xml", QA / "qa.json"])
    assert both.counts.flaky == 1
