"""``--netra-record`` at a path that cannot be a folder is one usage error before any test runs,
naming the option and the path: it was an INTERNALERROR traceback from the first test's hook."""

from __future__ import annotations

from pathlib import Path

import pytest
from links_kit import run_suite

ONE = """
def test_one():
    pass
"""


@pytest.mark.parametrize(
    ("where", "said"),
    [("a-file", "is a file, not a folder"), ("a-file/sub", "cannot be created: Not a directory")],
)
def test_a_record_folder_that_cannot_be_is_a_usage_error(
    tmp_path: Path, where: str, said: str
) -> None:
    (tmp_path / "a-file").write_text("x")
    target = tmp_path / where
    run = run_suite(tmp_path, ONE, f"--netra-record={target}")
    assert run.returncode == pytest.ExitCode.USAGE_ERROR, run.stdout
    assert f"ERROR: --netra-record {target}: {said}" in run.stdout
    assert "INTERNALERROR" not in run.stdout and "Traceback" not in run.stdout


BAD_URL = """
import pytest


@pytest.mark.asyncio
async def test_bad_url(netra_session, token):
    await netra_session("http://127.0.0.1:1/ws", token=token)
"""


def test_a_session_refused_before_it_recorded_is_no_recording_problem(tmp_path: Path) -> None:
    run = run_suite(tmp_path, BAD_URL)
    assert "UsageError: url must start" in run.stdout, run.stdout
    assert "recording problem" not in run.stdout
    assert "netra-diag: no test opened a session with the netra_session fixture" in run.stdout
