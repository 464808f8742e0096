"""What a failing test's recording says of it: a session that bypassed auth is told apart from
the passes that prove little (no suite's passes are weaker for it), and a session that ran to its
end moves the failure past connect and auth, whatever words the assertion used."""

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


def test_a_failure_after_a_completed_session_is_not_put_at_connect(tmp_path: Path) -> None:
    # "refused" in the assertion reads as a connect failure; the recording shows the session
    # connected and ran to agent_completed, so the test failed on what it checked after
    path = tmp_path / "junit.xml"
    path.write_text(
        JUNIT.replace("expected close 1008", "3 of 5 invalid tokens were not refused"),
        encoding="utf-8",
    )
    tid = "test_auth::test_refused_token"
    done = Recording(
        "done.jsonl",
        nodeid="test_auth.py::test_refused_token",
        frames_in=6,
        event_types={"agent_started": 1, "agent_completed": 1},
        server_user="user-1",
        marks=("upgrade_done",),
    )
    (alone,) = triage(path).clusters
    (linked,) = triage(path, recordings={tid: [done]}).clusters
    assert str(alone.phase) == "connect"  # (the words alone)
    assert str(linked.phase) == "completion"
