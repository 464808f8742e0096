"""Triage at a glance: the figures of a report say what its tables say."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from netra_diag.charts.triage import causes_figure, flakiness_figure, suite_outcomes_figure
from netra_diag.suites import triage
from netra_diag.suites.categories import category_label
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token

DATA = Path(str(files("netra_diag") / "data" / "suites"))
TOKEN = mint_token("u1", key=LOCAL_DEV_SECRET, now=1_700_000_000.0)  # minted, never committed


def _bundled():  # type: ignore[no-untyped-def]
    return triage(DATA / "current.xml", baseline=DATA / "baseline.xml")


def test_each_suites_bars_add_up_to_its_tests_worst_suite_on_top() -> None:
    report = _bundled()
    fig = suite_outcomes_figure(report)
    bars = [t for t in fig.data if t.type == "bar"]
    names = list(bars[0].y)
    assert len(names) == len(report.suites)
    for i, status in enumerate(report.suites):
        stacked = sum(t.x[i] for t in bars)
        # (a test that passed and then errored counts in "errors" only)
        assert stacked == status.tests
    assert fig.layout.yaxis.autorange == "reversed"  # the report's first (worst) suite on top
    (baseline,) = [t for t in fig.data if t.type == "scatter"]
    assert baseline.name == "passed in the baseline"
    assert {t.name for t in bars} >= {"passed", "failed"}


def test_causes_count_every_failing_test_once_most_first() -> None:
    report = _bundled()
    fig = causes_figure(report)
    per_label: dict[str, int] = {}
    for trace in fig.data:
        for label, n in zip(trace.y, trace.x, strict=True):
            per_label[label] = per_label.get(label, 0) + n
    assert sum(per_label.values()) == sum(c.size for c in report.clusters)
    totals = list(per_label.values())
    assert totals == sorted(totals, reverse=True)
    assert set(per_label) == {category_label(c.category) for c in report.clusters}
    assert {t.name for t in fig.data} <= {str(c.phase) for c in report.clusters}


def _run(outcomes: dict[str, str]) -> str:
    cases = "".join(
        f'<testcase classname="test_f" name="{name}" time="0.01">'
        + (f'<failure message="AssertionError: {TOKEN}">E   boom</failure>' if o == "F" else "")
        + "</testcase>"
        for name, o in outcomes.items()
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests">'
        f'<testsuite name="pytest" tests="{len(outcomes)}">{cases}</testsuite></testsuites>'
    )


def test_flaky_tests_run_by_run_newest_right(tmp_path: Path) -> None:
    history = tmp_path / "history"
    history.mkdir()
    for n, flip in enumerate("PFPF"):
        (history / f"run{n}.xml").write_text(_run({"test_flips": flip, "test_steady": "P"}))
    current = tmp_path / "current.xml"
    current.write_text(_run({"test_flips": "P", "test_steady": "P"}))
    report = triage(current, history=history)
    fig = flakiness_figure(report)
    (heat,) = fig.data
    assert list(heat.y) == ["test_f::test_flips"]
    assert list(heat.z[0]) == [1.0, 0.0, 1.0, 0.0, 1.0]  # P F P F, then this run's P
    assert list(heat.x)[-1] == 0
    assert "1 flaky test over 5 runs" in fig.layout.title.text


def test_what_cannot_be_drawn_is_said() -> None:
    report = _bundled()
    fig = flakiness_figure(report)
    assert not fig.data and "triage --history" in fig.layout.annotations[0].text


def test_no_token_reaches_a_figure(tmp_path: Path) -> None:
    path = tmp_path / "r.xml"
    path.write_text(_run({f"test_{i}": "F" for i in range(3)}))
    fig = causes_figure(triage(path))
    assert TOKEN not in fig.to_json()
