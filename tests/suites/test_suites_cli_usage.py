"""``netra-diag triage`` usage errors say what to do."""

from __future__ import annotations

from pathlib import Path

import pytest

from netra_diag.cli import main

JUNIT = (
    '<testsuites name="pytest tests"><testsuite name="pytest" tests="1">'
    '<testcase classname="test_a" name="test_x" time="0.1"/></testsuite></testsuites>'
)


def test_options_first_says_that_baseline_took_the_results(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base, current = tmp_path / "base.xml", tmp_path / "current.xml"
    base.write_text(JUNIT)
    current.write_text(JUNIT)
    assert main(["triage", "--baseline", str(base), str(current)]) == 2
    err = capsys.readouterr().err
    assert "--baseline took every file after it" in err
    assert str(current) in err
    # as the error says: "--" ends the baseline's files
    assert main(["triage", "--baseline", str(base), "--", str(current)]) == 0


def test_a_file_named_twice_is_read_once(tmp_path: Path) -> None:
    from netra_diag.suites import triage

    shards = tmp_path / "shards"
    shards.mkdir()
    (shards / "s1.xml").write_text(JUNIT)
    (shards / "s2.xml").write_text(JUNIT.replace("test_x", "test_y"))
    report = triage([shards, shards / "s1.xml", str(tmp_path / "shards" / ".." / "shards/s2.xml")])
    assert report.current.sources == (str(shards / "s1.xml"), str(shards / "s2.xml"))
    assert len(report.current.rows) == 2
    assert not report.warnings  # no "appeared in more than one file"
