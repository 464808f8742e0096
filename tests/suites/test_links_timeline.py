"""Each failing test's recording is shown as a timeline (what came in what order and when), not
as counts by type in alphabetical order: the order and the times say where the session stopped
and how long the test waited for what never came."""

from __future__ import annotations

import re
from pathlib import Path

from links_kit import run_suite

from netra_diag.suites import triage
from netra_diag.suites.link_timeline import Timeline

SUITE = """
import pytest


@pytest.mark.asyncio
@pytest.mark.timeout(1)
async def test_tool_completes_in_time(stalling_service, token, netra_session):
    session = await netra_session(stalling_service.url, token=token, transport="header")
    await session.run("hello", timeout=60)


@pytest.mark.asyncio
async def test_answer(service, token, netra_session):
    session = await netra_session(service.url, token=token, transport="header")
    await session.run("hello", timeout=10)
    assert False, "wrong answer"
"""

MS = r"\+\d+ ms"


def test_failing_tests_recordings_are_shown_as_timelines(tmp_path: Path) -> None:
    run = run_suite(tmp_path, SUITE)
    assert "2 failed" in run.stdout, run.stdout
    text = triage(run.junit, recordings=run.recordings).to_text()
    stalled = run.cassette("test_agent.py::test_tool_completes_in_time")
    # Sent, then nothing for the second the test waited before it gave up.
    assert re.search(
        rf"recording {re.escape(str(stalled))}: 1 in / 1 out frames; connection_established {MS}, "
        rf"sent user_message {MS}; closed 1000 \+(\d+) ms",
        text,
    ), text
    waited = int(re.findall(r"closed 1000 \+(\d+) ms", text.split(str(stalled))[1])[0])
    assert waited >= 1000
    answered = run.cassette("test_agent.py::test_answer")
    line = next(ln for ln in text.splitlines() if f"recording {answered}:" in ln)
    order = [m.group(1) for m in re.finditer(r"(?:, |; )((?:sent )?[a-z_]+) \+", line)]
    assert order[:3] == ["connection_established", "sent user_message", "agent_started"], line
    assert order[-1] == "agent_completed", line


def test_repeats_fold_and_a_long_timeline_keeps_its_ends() -> None:
    steps = Timeline()
    steps.received("connection_established", 0.001)
    steps.sent("user_message", 0.002)
    for n in range(40):
        steps.received("agent_thinking", 0.005 + n / 1000)
    steps.received("pong", 0.05)  # (liveness: left out)
    for n in range(20):
        steps.received("tool_executing" if n % 2 == 0 else "tool_completed", 0.1 + n)
    steps.received("agent_completed", 25.0)
    text = steps.text()
    assert text.startswith(
        "connection_established +1 ms, sent user_message +2 ms, agent_thinking ×40 +5 ms..44 ms, "
    )
    assert "pong" not in text and "… 12 more …" in text
    assert text.endswith("tool_executing +18.1 s, tool_completed +19.1 s, agent_completed +25.0 s")
