"""An async test pytest ran with no async plugin active (pytest-asyncio missing, or disabled):
pytest >= 8.4 fails it without running its body, PROTOCOL.md §9.4's coroutine never awaited.
Real output in tests/fixtures/suites/pytest/async.* (tests/fixtures/suites/README.md)."""

from __future__ import annotations

import pytest
from suite_runs import FIXTURES, parse_pytest_summary

from netra_diag.suites import Category, triage

PYTEST = FIXTURES / "pytest"


@pytest.mark.parametrize("results", ["async.junit.xml", "async.json"])
def test_an_async_test_without_a_plugin_is_a_coroutine_never_awaited(results: str) -> None:
    report = triage(PYTEST / results)
    said = parse_pytest_summary((PYTEST / "async.summary.txt").read_text(encoding="utf-8"))
    assert report.current.counts.failed == said["failed"] == 2
    (cluster,) = report.clusters
    assert cluster.category is Category.SETUP_METHOD_AWAIT
    assert "async plugin" in cluster.category_reason
    assert "uncategorised" not in report.headline
