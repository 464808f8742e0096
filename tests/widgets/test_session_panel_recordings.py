"""The live session panel with a recording (``record=``): every connection keeps its own cassette
and the panel says where it went.

Against the real embedded service on a loopback port.
"""

from __future__ import annotations

from pathlib import Path

from netra_diag.emulator import EmulatorConfig, TimingProfile, run_service
from netra_diag.widgets import LiveSessionPanel
from netra_diag.widgets.session import recording_for


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


async def test_run_stop_run_keeps_the_first_sessions_recording(tmp_path: Path) -> None:
    # Before: the second connection reopened the same path with truncation, so Stop then Run
    # (or a run after the URL, transport or user changed) erased the first session's recording
    # without a word, and the panel never said where a recording was.
    path = tmp_path / "run.jsonl"
    async with run_service(EmulatorConfig(timing=TimingProfile(time_scale=0.1))) as service:
        panel = LiveSessionPanel(url=service.url, environ={}, record=str(path))
        first = await panel.run()
        assert first is not None and first.ok
        assert str(path) in panel.recording.value
        await panel.stop()
        first_text = path.read_text()
        second = await panel.run()
        assert second is not None and second.ok
        await panel.stop()
    second_path = tmp_path / "run-2.jsonl"
    assert _names(tmp_path) == ["run-2.jsonl", "run.jsonl"]
    assert path.read_text() == first_text  # untouched by the second connection
    assert first.run_id and first.run_id in first_text
    second_text = second_path.read_text()
    assert second.run_id and second.run_id in second_text and first.run_id not in second_text
    assert str(second_path) in panel.recording.value and str(path) not in panel.recording.value
    assert str(second_path) in panel._repr_mimebundle_()["text/html"]


async def test_a_refused_connection_keeps_its_recording_and_says_where(tmp_path: Path) -> None:
    # The refusal's evidence (its attempt marks and close) is in the cassette; the panel points
    # at it next to the failure rather than leaving the reader to guess the file.
    path = tmp_path / "refused.jsonl"
    async with run_service(EmulatorConfig()) as service:
        panel = LiveSessionPanel(
            url=service.url, transport="bad:jwt-bare", environ={}, record=str(path)
        )
        assert await panel.run() is None
    assert panel.state.value == "failed"
    assert path.exists() and str(path) in panel.recording.value


async def test_an_unwritable_recording_fails_in_words_and_names_no_recording(
    tmp_path: Path,
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the recording's folder should be\n")
    async with run_service(EmulatorConfig(timing=TimingProfile(time_scale=0.1))) as service:
        panel = LiveSessionPanel(url=service.url, environ={}, record=str(blocker / "run.jsonl"))
        assert await panel.run() is None
    assert panel.state.value == "failed"
    # (which path is wrong, and how: mkdir's own words were "File exists")
    assert f"cannot create its folder {blocker}: {blocker} is a file" in panel.error_html.value
    assert str(blocker / "run.jsonl") in panel.error_html.value
    assert panel.recording.value == ""


def test_later_recordings_are_numbered_beside_the_first() -> None:
    assert recording_for(None, 3) is None
    assert recording_for("out/run.jsonl", 1) == Path("out/run.jsonl")
    assert recording_for("out/run.jsonl", 2) == Path("out/run-2.jsonl")
    assert recording_for("out/session", 3) == Path("out/session-3")
