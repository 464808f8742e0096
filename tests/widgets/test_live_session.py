"""The live session panel used as an engineer would: run, stop, run again; a second click while a
run is in flight; a refused reconnect; a secret that is not set; a bad timeout; a long run.

Against the real embedded service on a loopback port; the buttons' tasks are started as the
buttons start them (``panel.start``).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from netra_diag.emulator import EmulatorConfig, TimingProfile, run_service
from netra_diag.widgets import LiveSessionPanel


def _points(panel: LiveSessionPanel) -> int:
    return sum(len(trace.x or ()) for trace in panel.figure.data)


async def _settle(task: asyncio.Task[Any] | None, limit: float) -> None:
    assert task is not None
    await asyncio.wait([task], timeout=limit)
    await asyncio.sleep(0)  # the done callback runs


async def test_a_new_connection_starts_a_fresh_table_and_timeline(timeout_factor: float) -> None:
    # Before: after Stop and Run, the table held both sessions' frames with times restarting at
    # 0 in the middle, and the timeline drew the second session over the first on one axis.
    async with run_service(EmulatorConfig(timing=TimingProfile(time_scale=0.1))) as service:
        panel = LiveSessionPanel(url=service.url, environ={})
        first = await panel.run()
        assert first is not None and first.ok
        await panel.stop()
        assert "Closed 1000" in panel.close_html.value
        second = await panel.run()
        assert second is not None and second.ok
        # Only the second session's frames: connection_established, the message, its events.
        assert panel.event_count.value == len(panel.events) == len(second.events) + 2
        assert panel.event_table.value.count("connection_established") == 1
        assert panel.event_table.value.count(first.events[0].event.run_id) == 0
        assert _points(panel) >= len(second.events)
        times = [te.t for _direction, te in panel.events]
        assert times == sorted(times)
        assert panel.close_html.value == ""  # the first session's close is not this one's
        await panel.stop()


async def test_a_refused_reconnect_does_not_show_the_last_sessions_verdict() -> None:
    # Before: the refused attempt kept "auth: validated ..." and "completed: ..." of the session
    # before it, and its close explanation said "Closed 1000 by the client" (the old close).
    async with run_service(EmulatorConfig(timing=TimingProfile(time_scale=0.1))) as service:
        panel = LiveSessionPanel(url=service.url, environ={})
        assert await panel.run() is not None
        await panel.stop()
        panel.transport.value = "bad:jwt-bare"
        assert await panel.run() is None
        assert panel.state.value == "failed"
        assert panel.auth.value == "" and panel.outcome.value == ""
        assert "Closed 1000" not in panel.close_html.value
        assert "1003" in panel.close_html.value or "1008" in panel.close_html.value
        assert panel.session is None or not panel.session.is_open


async def test_a_second_run_while_one_is_in_flight_is_refused_in_words(
    timeout_factor: float,
) -> None:
    # Before: both runs read the same socket; the first took the other's frames and ended as
    # "timeout: ... in 20001 ms" with nothing said in the panel.
    async with run_service(EmulatorConfig(timing=TimingProfile(time_scale=0.2))) as service:
        panel = LiveSessionPanel(url=service.url, environ={}, timeout=10 * timeout_factor)
        first = panel.start(panel.run)
        deadline = time.monotonic() + 10 * timeout_factor
        while panel.state.value != "running":
            assert time.monotonic() < deadline, panel.state.value
            await asyncio.sleep(0.01)
        second = panel.start(panel.run)  # the Run button, clicked again
        await _settle(second, 5 * timeout_factor)
        assert second is not None and second.result() is None
        assert "already in flight" in panel.error_html.value
        third = panel.start(panel.run)  # and once more
        await _settle(third, 5 * timeout_factor)
        await _settle(first, 15 * timeout_factor)
        assert first is not None and first.result() is not None
        assert panel.outcome.value.startswith("completed"), panel.outcome.value
        # The next run, once the first ended, goes ahead and clears the notice.
        assert await panel.run() is not None
        assert panel.error_html.value == ""
        await panel.stop()


async def test_an_unset_secret_fails_the_connect_in_words() -> None:
    # Before: the state stayed "connecting" for good, and the error began "UsageError: ".
    async with run_service(EmulatorConfig()) as service:
        panel = LiveSessionPanel(
            url=service.url, profile="staging", secret_env="NO_SUCH_VAR_QA", environ={}
        )
        task = panel.start(panel.run)  # the Run button
        await _settle(task, 10)
        assert panel.state.value == "failed"
        assert "$NO_SUCH_VAR_QA is not set" in panel.error_html.value
        assert "UsageError" not in panel.error_html.value


async def test_a_bad_timeout_is_refused_before_connecting() -> None:
    # Before: it connected, then the run raised: the state stayed "running" for good.
    async with run_service(EmulatorConfig()) as service:
        panel = LiveSessionPanel(url=service.url, environ={})
        panel.timeout.value = 0.0
        task = panel.start(panel.run)
        await _settle(task, 10)
        assert panel.state.value == "idle"
        assert panel.session is None
        assert "timeout s must be more than 0" in panel.error_html.value


async def test_a_long_run_shows_its_progress(timeout_factor: float) -> None:
    # Before: a slow tool left "running" and a still frame count for seconds: no sign of life.
    async with run_service(EmulatorConfig(timing=TimingProfile(time_scale=1.0))) as service:
        panel = LiveSessionPanel(url=service.url, environ={}, timeout=20 * timeout_factor)
        task = panel.start(panel.run)
        seen: set[str] = set()
        deadline = time.monotonic() + 30 * timeout_factor
        assert task is not None
        while not task.done():
            assert time.monotonic() < deadline
            seen.add(panel.progress.value)
            await asyncio.sleep(0.05)
        progress = sorted(v for v in seen if v)
        assert any(v.startswith("1 s of ") for v in progress), progress
        assert all(" frames" in v for v in progress)
        assert panel.progress.value == ""  # gone once the run ended
        await panel.stop()


async def test_a_changed_transport_is_used_by_the_next_run() -> None:
    # Before: with a session open, picking another transport (or URL, or user) and pressing Run
    # reused the open session: the run "completed" over the old transport without a word.
    async with run_service(EmulatorConfig(timing=TimingProfile(time_scale=0.1))) as service:
        panel = LiveSessionPanel(url=service.url, transport="header", environ={})
        assert await panel.run() is not None
        first = panel.session
        assert first.handshake.transport == "header"
        panel.transport.value = "query"
        assert await panel.run() is not None
        assert panel.session is not first and not first.is_open
        assert panel.session.handshake.transport == "query"
        assert "query" in panel.handshake_html.value
        panel.transport.value = "none"  # the strict service refuses a session without a token
        assert await panel.run() is None
        assert panel.state.value == "failed" and "1008" in panel.close_html.value
        # Unchanged form: the open session is reused, as before.
        panel.transport.value = "header"
        assert await panel.run() is not None
        same = panel.session
        assert await panel.run() is not None and panel.session is same
        await panel.stop()


async def test_a_refused_connection_is_explained_once() -> None:
    # Before: the red error line repeated the whole close explanation shown just above it.
    async with run_service(EmulatorConfig()) as service:
        panel = LiveSessionPanel(url=service.url, transport="none", environ={})
        assert await panel.run() is None
        assert "policy violation" in panel.close_html.value
        assert "1008" in panel.error_html.value
        assert "policy violation" not in panel.error_html.value
        assert "see the close explanation above" in panel.error_html.value
        assert "policy violation" in panel.describe()  # the plain-text line keeps it all


async def test_stop_clears_the_run_in_flight_notice(timeout_factor: float) -> None:
    # Before: after Stop the panel still said "a run is already in flight" in red.
    async with run_service(EmulatorConfig(timing=TimingProfile(time_scale=1.0))) as service:
        panel = LiveSessionPanel(url=service.url, environ={})
        first = panel.start(panel.run)
        deadline = time.monotonic() + 10 * timeout_factor
        while panel.state.value != "running":
            assert time.monotonic() < deadline, panel.state.value
            await asyncio.sleep(0.01)
        assert await panel.run() is None
        assert "already in flight" in panel.error_html.value
        await panel.stop()
        await _settle(first, 5 * timeout_factor)
        assert panel.error_html.value == ""
        assert panel.outcome.value == "stopped before the run ended"
        assert "Closed 1000" in panel.close_html.value


async def test_connect_when_connected_says_so() -> None:
    # Before: a second click on Connect changed nothing on screen.
    async with run_service(EmulatorConfig()) as service:
        panel = LiveSessionPanel(url=service.url, environ={})
        panel.connect_button.click()
        deadline = time.monotonic() + 10
        while panel.state.value != "connected":
            assert time.monotonic() < deadline, panel.state.value
            await asyncio.sleep(0.01)
        assert panel.error_html.value == ""
        session = panel.session
        panel.connect_button.click()
        await asyncio.sleep(0.05)
        assert "already connected" in panel.error_html.value
        assert panel.session is session
        await panel.stop()
        assert panel.error_html.value == ""


async def test_a_button_run_does_not_re_render_the_panel(
    monkeypatch: pytest.MonkeyPatch, timeout_factor: float
) -> None:
    # Before: every run and stop re-sent the panel's display, which JupyterLab answers by
    # rendering the whole panel anew: after a button click too, under the engineer's pointer.
    import netra_diag.widgets.base as base

    class Display:
        updates = 0

        def update(self, _obj: Any) -> None:
            Display.updates += 1

    monkeypatch.setattr(base, "in_kernel", lambda: True)
    async with run_service(EmulatorConfig(timing=TimingProfile(time_scale=0.1))) as service:
        panel = LiveSessionPanel(url=service.url, environ={})
        panel._display = Display()
        await _settle(panel.start(panel.run), 20 * timeout_factor)  # the Run button
        await _settle(panel.start(panel.stop), 20 * timeout_factor)  # the Stop button
        assert panel.outcome.value.startswith("completed")
        assert Display.updates == 0
        assert await panel.run() is not None  # from a cell (and papermill): the report's view
        await panel.stop()
        assert Display.updates == 2
