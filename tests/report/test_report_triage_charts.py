"""The triage figures as a reviewer reads them on a static report page: an axis of test counts
has no half tests (it marked 0.5, 1.5, ... for two or three tests), and the flaky tests' runs
say P/F/R in their cells and what the letters mean, not only by colour and hover."""

from __future__ import annotations

from pathlib import Path

from netra_diag.charts.triage import causes_figure, flakiness_figure, suite_outcomes_figure
from netra_diag.suites.triage import triage

FAIL = '<failure message="assert 1 == 2">AssertionError: assert 1 == 2</failure>'


def _run(path: Path, outcomes: dict[str, str]) -> Path:
    cases = "".join(
        f'<testcase classname="tests.test_f" name="{name}" time="0.1">'
        f"{FAIL if outcome == 'F' else ''}</testcase>"
        for name, outcome in outcomes.items()
    )
    path.write_text(
        f'<testsuites><testsuite name="pytest" tests="{len(outcomes)}">{cases}</testsuite>'
        "</testsuites>",
        encoding="utf-8",
    )
    return path


def test_small_counts_are_ticked_in_whole_tests(tmp_path: Path) -> None:
    report = triage(_run(tmp_path / "r.xml", {"test_a": "F", "test_b": "P", "test_c": "F"}))
    for fig in (suite_outcomes_figure(report), causes_figure(report)):
        assert fig.layout.xaxis.dtick == 1
        assert fig.layout.xaxis.rangemode == "tozero"


def test_large_counts_keep_plotlys_ticks(tmp_path: Path) -> None:
    report = triage(_run(tmp_path / "r.xml", {f"test_{i}": "F" for i in range(30)}))
    assert suite_outcomes_figure(report).layout.xaxis.dtick is None


def test_flaky_cells_carry_their_letter(tmp_path: Path) -> None:
    history = tmp_path / "history"
    history.mkdir()
    for n, flip in enumerate("PFPF"):
        _run(history / f"run{n}.xml", {"test_flips": flip, "test_steady": "P"})
    report = triage(
        _run(tmp_path / "now.xml", {"test_flips": "P", "test_steady": "P"}), history=history
    )
    fig = flakiness_figure(report)
    (heat,) = fig.data
    assert [list(row) for row in heat.text] == [["P", "F", "P", "F", "P"]]
    assert heat.texttemplate == "%{text}"
    assert list(heat.customdata[0]) == ["passed", "failed", "passed", "failed", "passed"]
    assert "P passed" in fig.layout.xaxis.title.text
    assert "F failed" in fig.layout.xaxis.title.text
