"""A test with subtests (pytest's ``subtests`` fixture) makes one "call" report per subtest: the
JUnit property of the events its sessions saw is written once, with all of them, not once more
per subtest."""

from __future__ import annotations

from pathlib import Path

import pytest
from links_kit import run_suite

SUBTESTS = """
import pytest


@pytest.mark.asyncio
async def test_each_transport(service, token, netra_session, subtests):
    for transport in ("header", "query"):
        with subtests.test(transport=transport):
            session = await netra_session(service.url, token=token, transport=transport)
            await session.run("hello", timeout=10)
            assert transport == "header", "query refused in production"
"""


@pytest.mark.skipif(pytest.version_tuple < (9,), reason="the subtests fixture is pytest 9's")
def test_the_events_property_is_written_once_per_test(tmp_path: Path) -> None:
    run = run_suite(tmp_path, SUBTESTS)
    assert "SUBFAILED(transport='query')" in run.stdout or "1 failed subtest" in run.stdout
    xml = run.junit.read_text(encoding="utf-8")
    assert xml.count('name="netra_events"') == 1, xml
    assert run.labels("test_agent.py::test_each_transport")["outcome"] == "failed"
    assert run.labels("test_agent.py::test_each_transport", 1)["outcome"] == "failed"
