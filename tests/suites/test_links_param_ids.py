"""Parametrised tests whose ids differ only where a file name cannot (``[a b]`` and ``[a_b]``), or
only after the length a file name is cut to, each keep their own cassette and outcome: the second
overwrote the first's, and triage showed one test's recording for both."""

from __future__ import annotations

from pathlib import Path

from links_kit import run_suite

from netra_diag.suites import sanitise_nodeid, triage

LONG = "x" * 200
PARAMS = f"""
import pytest


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "message",
    ["a b", "a_b", pytest.param("one", id="{LONG}-one"), pytest.param("two", id="{LONG}-two")],
)
async def test_message(service, token, netra_session, message):
    session = await netra_session(service.url, token=token, transport="header")
    await session.run(message, timeout=10)
    assert message != "a b", "spaces are refused"
    assert message != "two", "the second long message is refused"
"""


def test_each_parametrised_test_keeps_its_own_cassette(tmp_path: Path) -> None:
    run = run_suite(tmp_path, PARAMS)
    assert "2 failed, 2 passed" in run.stdout, run.stdout
    ids = [
        f"test_agent.py::test_message[{p}]" for p in ("a b", "a_b", f"{LONG}-one", f"{LONG}-two")
    ]
    assert len({sanitise_nodeid(n) for n in ids}) == 4
    outcomes = {n: run.labels(n)["outcome"] for n in ids}
    assert list(outcomes.values()) == ["failed", "passed", "passed", "failed"]
    assert all(run.labels(n)["nodeid"] == n for n in ids)
    report = triage(run.junit, recordings=run.recordings)
    assert not [n for n in report.notes if "disagree" in n], report.notes
    for nodeid in ids:
        (rec,) = report.recordings[nodeid.replace(".py::", "::")]
        assert rec.path == str(run.cassette(nodeid)) and rec.nodeid == nodeid
    # (a plain node id keeps its readable name)
    assert sanitise_nodeid("tests/e2e/test_a.py::TestChat::test_x[header]") == (
        "tests_e2e_test_a.py__TestChat__test_x[header]"
    )
