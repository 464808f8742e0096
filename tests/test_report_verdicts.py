"""The report's verdicts on a triaged suite when nothing was tested: never a pass."""

from __future__ import annotations

from pathlib import Path

from netra_diag import investigation
from netra_diag.suites.triage import triage

EMPTY = '<testsuite name="s" tests="0"></testsuite>'
ONLY_SKIPS = """<testsuite name="s" tests="2" skipped="2">
<testcase classname="t" name="test_a"><skipped message="staging unreachable"/></testcase>
<testcase classname="t" name="test_b"><skipped message="staging unreachable"/></testcase>
</testsuite>
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_no_tests_ran_is_not_a_pass(tmp_path: Path) -> None:
    result = triage([write(tmp_path, "empty.xml", EMPTY)])
    check = investigation.new_failures_check(result)
    assert check.status == "not verified"
    assert check.detail == "not verified: no tests ran"
    assert investigation.triage_headline(result, check) == result.headline


def test_no_tests_ran_is_not_a_pass_even_against_a_baseline(tmp_path: Path) -> None:
    empty = write(tmp_path, "empty.xml", EMPTY)
    check = investigation.new_failures_check(triage([empty], baseline=[empty]))
    assert check.status == "not verified"


def test_only_skips_is_not_a_pass(tmp_path: Path) -> None:
    skips = write(tmp_path, "skips.xml", ONLY_SKIPS)
    result = triage([skips], baseline=[skips])
    check = investigation.new_failures_check(result)
    assert check.status == "not verified"
    assert check.detail == "not verified: 2 tests, all skipped: nothing was tested"
    assert "nothing was tested" in investigation.triage_headline(result, check)


def test_a_timed_out_run_counts_its_one_event_in_words() -> None:
    from netra_diag.events.contracts import check_run
    from netra_diag.live import RunOutcome

    event = type("E", (), {"type": "agent_started"})()
    record = type("R", (), {"outcome": RunOutcome.TIMEOUT, "events": (event,)})()
    checks = investigation.session_checks(
        record=record, session=None, contract=check_run(()), error=None, timeout=0.5
    )
    run = {c.name: c for c in checks}["run"]
    assert run.detail.startswith("timed out after 0.5 s (run_timeout) with 1 event, the last ")


def test_the_headline_names_the_new_failures_that_decide_the_exit_code() -> None:
    current = investigation.bundled_suite("current")
    result = triage([current], baseline=[investigation.bundled_suite("baseline")])
    check = investigation.new_failures_check(result)
    assert check.status == "FAIL" and "new failure" not in result.headline
    headline = investigation.triage_headline(result, check)
    assert headline == f"{result.headline}; {check.detail}"
    assert headline.startswith("1 of 4 golden-path WebSocket auth (staging) tests pass;")
