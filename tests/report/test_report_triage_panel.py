"""The triage panel's static view (what a report shows) on a run where nothing failed says so,
not "no cluster matches", which reads as a filter hiding failures."""

from __future__ import annotations

from pathlib import Path

from netra_diag.suites.triage import triage
from netra_diag.widgets import TriagePanel


def test_a_passing_run_says_nothing_failed(tmp_path: Path) -> None:
    results = tmp_path / "ok.xml"
    results.write_text(
        '<testsuites><testsuite name="pytest" tests="1">'
        '<testcase classname="tests.test_a" name="test_ok" time="0.1"/>'
        "</testsuite></testsuites>",
        encoding="utf-8",
    )
    panel = TriagePanel(triage([str(results)]))
    html = panel.static_html()
    assert "nothing failed" in html and "no cluster matches" not in html


def test_a_filter_that_hides_every_cluster_says_so() -> None:
    from netra_diag.investigation import suite_inputs

    current, baseline = suite_inputs("", "")
    panel = TriagePanel(triage(current, baseline=baseline))
    panel.search.value = "no such text anywhere"
    assert "no cluster matches the filters" in panel.detail.value
