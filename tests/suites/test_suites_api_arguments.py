"""``netra_diag.suites.triage`` as a library: wrong argument types are UsageErrors naming the
argument, and a history may be given as the earlier runs' files."""

from __future__ import annotations

from pathlib import Path

import pytest

from netra_diag.errors import UsageError
from netra_diag.suites import parse_junit, triage


def _junit(outcome: str) -> str:
    failure = '<failure message="AssertionError: flip">E   AssertionError: flip</failure>'
    return (
        '<testsuites name="pytest tests"><testsuite name="pytest" tests="2">'
        '<testcase classname="test_f" name="test_stable" time="0.1"/>'
        '<testcase classname="test_f" name="test_flip" time="0.1">'
        + (failure if outcome == "F" else "")
        + "</testcase></testsuite></testsuites>"
    )


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"results": None}, "results"),
        ({"results": 5}, "results"),
        ({"results": [Path("a.xml"), 3]}, "results"),
        ({"results": "x.xml", "baseline": 3}, "baseline"),
        ({"results": "x.xml", "recordings": 5}, "recordings"),
        ({"results": "x.xml", "history": 7}, "history"),
        ({"results": "x.xml", "history": [object()]}, "history"),
    ],
)
def test_wrong_argument_types_are_usage_errors(kwargs: dict[str, object], named: str) -> None:
    with pytest.raises(UsageError, match=f"triage: {named} must be"):
        triage(**kwargs)  # type: ignore[arg-type]


def test_history_as_a_list_of_files_and_runs(tmp_path: Path) -> None:
    paths = []
    for i, outcome in enumerate("FPF", 1):
        path = tmp_path / f"run{i}.xml"
        path.write_text(_junit(outcome))
        paths.append(path)
    current = tmp_path / "current.xml"
    current.write_text(_junit("P"))
    from_files = triage(current, history=paths)
    mixed = triage(current, history=[parse_junit(paths[0]), *map(str, paths[1:])])
    for report in (from_files, mixed):
        assert report.flakiness is not None
        assert [(f.test_id, f.history) for f in report.flakiness.flaky] == [
            ("test_f::test_flip", "FPFP")
        ]


@pytest.mark.parametrize("max_tests", [0, -1, 2.5, True])
def test_renderings_refuse_a_max_tests_below_one(tmp_path: Path, max_tests: object) -> None:
    path = tmp_path / "current.xml"
    path.write_text(_junit("F"))
    report = triage(path)
    for render in (report.to_text, report.to_markdown, report.to_github):
        with pytest.raises(UsageError, match="max_tests must be a whole number >= 1"):
            render(max_tests=max_tests)  # type: ignore[arg-type]
    assert "test_f::test_flip" in report.to_text(max_tests=1)
