"""What a failing test's own recording shows names its cause when its message does not.

The JUnit and cassette below are trimmed from a real run of

    pytest -p netra_diag.pytest_plugin --netra-record rec --junitxml=junit.xml

where the embedded service was configured with ``close_1011_after_first_message`` and the test
asserted on the run's events: the assertion ("assert ()") says nothing of the cause, the
recording says "closed 1011".
"""

from __future__ import annotations

import json
from pathlib import Path

from netra_diag.suites import Category, triage

JUNIT = """<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests"><testsuite \
name="pytest" errors="0" failures="1" skipped="0" tests="2" time="0.1" hostname="vm"><testcase \
classname="test_live" name="test_1011" file="test_live.py" line="52" time="0.004"><properties>\
<property name="netra_events" value="connection_established" /></properties><failure \
message="assert ()">    @pytest.mark.asyncio
    async def test_1011(faulty_service, netra_session):
        s = await netra_session(faulty_service.url, token=tok(), transport="header")
        r = await s.run("hello", timeout=5)
&gt;       assert r.events
E       assert ()

test_live.py:55: AssertionError</failure></testcase><testcase classname="test_live" \
name="test_unit" file="test_live.py" line="60" time="0.001"><failure message="assert ()">\
    def test_unit():
&gt;       assert ()
E       assert ()

test_live.py:61: AssertionError</failure></testcase></testsuite></testsuites>
"""


def _cassette(path: Path, nodeid: str, close_code: int, reason: str) -> None:
    records = [
        {
            "kind": "header",
            "format": "netra-cassette",
            "version": 1,
            "endpoint": "ws://127.0.0.1:42265/ws",
            "transport": "header",
            "labels": {"nodeid": nodeid, "outcome": "failed"},
        },
        {"kind": "mark", "name": "connect_start", "t_ns": 177747, "data": {"attempt": 1}},
        {"kind": "mark", "name": "upgrade_done", "t_ns": 1340513, "data": {"status": 101}},
        {
            "kind": "frame",
            "dir": "in",
            "t_ns": 1165827,
            "type": "connection_established",
            "user_id": "user-1",
            "text": json.dumps({"type": "connection_established", "data": {"user_id": "user-1"}}),
        },
        {
            "kind": "mark",
            "name": "connection_established",
            "t_ns": 1394262,
            "data": {"user_id": "user-1"},
        },
        {
            "kind": "frame",
            "dir": "out",
            "t_ns": 1500242,
            "type": "user_message",
            "text": json.dumps({"type": "user_message", "payload": {"content": "hello"}}),
        },
        {
            "kind": "mark",
            "name": "close",
            "t_ns": 1865619,
            "data": {"code": close_code, "reason": reason, "initiated_by": "server"},
        },
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


def test_a_recording_closed_1011_names_the_cause_the_assertion_did_not(tmp_path: Path) -> None:
    (tmp_path / "junit.xml").write_text(JUNIT)
    rec = tmp_path / "rec"
    rec.mkdir()
    _cassette(
        rec / "test_live.py__test_1011.jsonl", "test_live.py::test_1011", 1011, "Internal error"
    )
    report = triage(tmp_path / "junit.xml", recordings=rec)
    by_test = {t: c for c in report.clusters for t in c.tests}
    recorded = by_test["test_live::test_1011"]
    assert recorded.category is Category.INTERNAL_1011
    assert "its recording: closed 1011 Internal error" in recorded.category_reason
    # the same message without a recording says nothing: a cause of its own, uncategorised
    assert by_test["test_live::test_unit"].category is Category.OTHER
    assert recorded is not by_test["test_live::test_unit"]
    assert "1011 internal error" in report.headline


def test_without_recordings_the_category_is_read_from_the_message_alone(tmp_path: Path) -> None:
    (tmp_path / "junit.xml").write_text(JUNIT)
    report = triage(tmp_path / "junit.xml")
    assert {c.category for c in report.clusters} == {Category.OTHER}
    # "assert ()" says only that something was empty: two tests failing so are two causes
    # (each named by its own line), not "2 failures are one cause"
    assert len(report.clusters) == 2
    assert "one cause" not in report.headline


async def _record_dropped_agent_started(path: Path, nodeid: str) -> None:
    """A real session with the embedded service dropping agent_started, recorded to ``path``
    and labelled as the pytest plugin labels it."""
    import time

    from netra_diag.emulator import EmulatorConfig, Fault, FaultPlan, TimingProfile, run_service
    from netra_diag.live import Session
    from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token

    config = EmulatorConfig(
        timing=TimingProfile.instant(), faults=FaultPlan({Fault.DROP_EVENT: 1.0}), seed=1
    )
    token = mint_token("user-1", key=LOCAL_DEV_SECRET, now=time.time())
    async with (
        run_service(config) as service,
        Session.connect(
            service.url,
            token=token,
            transport="header",
            record=path,
            labels={"nodeid": nodeid, "outcome": "passed"},
        ) as session,
    ):
        await session.run("hello", timeout=10)


PASSING = """<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests"><testsuite \
name="pytest" errors="0" failures="0" skipped="0" tests="1" time="0.1" hostname="vm"><testcase \
classname="test_live" name="test_dropped" file="test_live.py" line="57" time="0.004">\
<properties><property name="netra_events" value="connection_established,agent_thinking,\
tool_executing,tool_completed,agent_completed" /></properties></testcase></testsuite></testsuites>
"""


def test_a_pass_whose_recording_breaks_the_event_contract_proves_little(
    tmp_path: Path, capsys: object
) -> None:
    import asyncio

    from netra_diag.cli import main
    from netra_diag.suites import VacuousKind

    rec = tmp_path / "rec"
    rec.mkdir()
    asyncio.run(
        _record_dropped_agent_started(
            rec / "test_live.py__test_dropped.jsonl", "test_live.py::test_dropped"
        )
    )
    (tmp_path / "junit.xml").write_text(PASSING)
    report = triage(tmp_path / "junit.xml", recordings=rec)
    broken = [s for s in report.vacuous if s.kind is VacuousKind.CONTRACT_BROKEN]
    assert [s.subject for s in broken] == ["test_live::test_dropped"]
    assert "breaks the event contract: " in broken[0].detail
    assert report.headline.startswith("the one test passes, but the pass proves little")
    assert "1 passing test's recording breaks the event contract" in report.headline
    assert main(["triage", str(tmp_path / "junit.xml"), "--recordings", str(rec)]) == 0
    assert main(["triage", str(tmp_path / "junit.xml"), "--recordings", str(rec), "--strict"]) == 3


def _rejected(path: Path, nodeid: str, status: int) -> None:
    records = [
        {
            "kind": "header",
            "format": "netra-cassette",
            "version": 1,
            "labels": {"nodeid": nodeid, "outcome": "failed"},
        },
        {"kind": "mark", "name": "connect_start", "t_ns": 1000, "data": {"attempt": 1}},
        {
            "kind": "mark",
            "name": "handshake_rejected",
            "t_ns": 2000,
            "data": {"transport": "header", "status": status, "body": "", "headers": []},
        },
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


def test_an_upgrade_refused_with_403_is_auth_not_an_unreachable_service(tmp_path: Path) -> None:
    (tmp_path / "junit.xml").write_text(JUNIT)
    rec = tmp_path / "rec"
    rec.mkdir()
    _rejected(rec / "a.jsonl", "test_live.py::test_1011", 403)
    _rejected(rec / "b.jsonl", "test_live.py::test_unit", 503)
    report = triage(tmp_path / "junit.xml", recordings=rec)
    by_test = {t: c for c in report.clusters for t in c.tests}
    refused, down = by_test["test_live::test_1011"], by_test["test_live::test_unit"]
    assert refused.category is Category.SECRET_CLAIM_MISMATCH
    assert "HTTP 403 on the upgrade" in refused.category_reason
    assert str(refused.phase) == "auth"
    assert down.category is Category.INFRASTRUCTURE
    assert "HTTP 503 on the upgrade" in down.category_reason
