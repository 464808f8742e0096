"""An outage whose causes include an exception without a message (asyncio's bare
``TimeoutError``) names that cause by its exception: the headline read "…: Timeout (>1.0s)
from pytest-timeout. /  (+1 more)", an empty cause between the separators."""

from __future__ import annotations

from pathlib import Path

from suite_runs import run_case_module

from netra_diag.suites import triage

SOURCE = """
import asyncio


def test_bare_timeout():
    async def wait():
        await asyncio.wait_for(asyncio.sleep(5), 0.01)

    asyncio.run(wait())


def test_bare_timeout_again():
    raise TimeoutError()


def test_refused():
    raise ConnectionRefusedError("[Errno 111] Connect call failed ('127.0.0.1', 9)")


def test_refused_again():
    raise ConnectionRefusedError("[Errno 111] Connect call failed ('127.0.0.1', 9)")
"""


def test_a_cause_without_a_message_is_named_by_its_exception(tmp_path: Path) -> None:
    xml = tmp_path / "run.xml"
    run_case_module(tmp_path, "outage", SOURCE, f"--junitxml={xml}")
    headline = triage([xml]).headline
    assert headline.startswith("outage: 4 of 4 tests failed with timeout or infrastructure: ")
    assert "TimeoutError" in headline, headline
    assert " /  " not in headline and not headline.split(";")[0].rstrip().endswith("/"), headline
