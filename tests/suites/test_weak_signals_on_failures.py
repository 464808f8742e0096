"""A failing test whose session bypassed auth is told apart from passes that prove little: its
signal says what the failure was measured against, and no suite's passes are weaker for it."""

from __future__ import annotations

from pathlib import Path

from netra_diag.suites import Recording, triage

JUNIT = """<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests"><testsuite \
name="pytest" tests="2" failures="1" errors="0" skipped="0"><testcase classname="test_auth" \
name="test_refused_token" time="0.3"><failure message="AssertionError: expected close 1008">\
E   AssertionError: expected close 1008</failure></testcase><testcase classname="test_auth" \
name="test_valid_token" time="0.3" /></testsuite></testsuites>"""


def _report(tmp_path: Path, bypassed: str) -> str:
    path = tmp_path / "junit.xml"
    path.write_text(JUNIT, encoding="utf-8")
    rec = Recording(
        f"{bypassed}.jsonl",
        nodeid=f"test_auth.py::{bypassed}",
        frames_in=5,
        event_types={"agent_completed": 1},
        server_user="demo-user-001",
    )
    report = triage(path, recordings={f"test_auth::{bypassed}": [rec]})
    return report.to_text()


def test_a_bypass_in_a_failing_tests_session_is_no_weak_pass(tmp_path: Path) -> None:
    text = _report(tmp_path, "test_refused_token")
    assert "Failing tests whose sessions prove little" in text
    assert "Passes that prove little" not in text
    assert "weak passes:" not in text


def test_a_bypass_in_a_passing_tests_session_is_one(tmp_path: Path) -> None:
    text = _report(tmp_path, "test_valid_token")
    assert "Passes that prove little" in text
    assert "Failing tests whose sessions prove little" not in text
    assert "weak passes: 1× auth bypassed" in text
