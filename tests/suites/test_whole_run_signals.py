"""A signal about the whole run (every test skipped, no tests at all) names the whole run, not a
suite called "(run)". Real pytest runs."""

from __future__ import annotations

from pathlib import Path

from history_runs import run_history

from netra_diag.suites import triage

_ALL_SKIPPED = """
import pytest


@pytest.mark.skip(reason="no staging host")
def test_a():
    pass


@pytest.mark.skip(reason="no staging host")
def test_b():
    pass
"""


def test_a_run_that_only_skipped_is_named_the_whole_run(tmp_path: Path) -> None:
    (run,) = run_history(tmp_path, _ALL_SKIPPED, [1])
    report = triage(run)
    assert report.headline.startswith("all 2 tests skipped: nothing was tested")
    for text in (report.to_text(), report.to_markdown()):
        assert "only skips: the whole run: all 2 tests skipped: nothing ran" in text
        assert "(run)" not in text
    # (the JSON keeps its subject: a script may read it)
    assert report.to_dict()["vacuous"][0]["subject"] == "(run)"
