"""A suite_triage report over a folder of shards, with a baseline and a history folder, agrees with
``netra-diag triage`` on the same input: the same counts, clusters and exit code, and the JSON
summary names the tests flaky across the history (its ``counts.flaky`` is this run's retries) and
triage's warnings (a history run left out), which the HTML banner lists."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from netra_diag.cli import main
from netra_diag.report import run_report

FAIL = '<failure message="assert 1 == 2">AssertionError: assert 1 == 2</failure>'


def _junit(path: Path, cases: dict[str, str]) -> None:
    body = "".join(
        f'<testcase classname="tests.test_a" name="{name}" time="0.1">{child}</testcase>'
        for name, child in cases.items()
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f'<testsuites><testsuite name="pytest" tests="{len(cases)}">{body}</testsuite>'
        "</testsuites>",
        encoding="utf-8",
    )


def test_shards_baseline_and_history_agree_with_the_text_triage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    skip = '<skipped message="needs staging"/>'
    _junit(tmp_path / "shards" / "shard-1.xml", {"test_ok": "", "test_regressed": FAIL})
    _junit(tmp_path / "shards" / "shard-2.xml", {"test_flips": "", "test_skip": skip})
    _junit(
        tmp_path / "base.xml",
        {"test_ok": "", "test_regressed": "", "test_flips": "", "test_skip": skip},
    )
    for n, flip in enumerate("FPFP", start=1):
        child = FAIL if flip == "F" else ""
        _junit(tmp_path / "hist" / f"build-{n}.xml", {"test_ok": "", "test_flips": child})

    # A history run that cannot be read is left out, and said: in the banner and NAME.json too.
    (tmp_path / "hist" / "build-5.xml").write_text("<testsuites><testsu", encoding="utf-8")

    code = main(["triage", "shards", "--baseline", "base.xml", "--history", "hist", "--json"])
    text = json.loads(capsys.readouterr().out)
    report = run_report(
        "suite_triage",
        {"results": "shards", "baseline": "base.xml", "history": "hist"},
        out_dir="out",
    )
    assert report.error is None, report.error
    assert int(report.exit_code) == code == 7
    assert report.values["counts"] == text["run"]["counts"]
    assert [c["tests"] for c in report.values["clusters"]] == [c["size"] for c in text["clusters"]]
    assert report.headline.startswith(text["headline"])
    assert report.values["flaky_in_history"] == [
        {"test": "tests.test_a::test_flips", "runs": "FPFPP", "score": 0.75}
    ]
    (warning,) = report.warnings
    assert warning.startswith("history: hist/build-5.xml:1: ") and "left out" in warning
    assert report.html_path is not None
    html = report.html_path.read_text(encoding="utf-8")
    for title in (
        "Tests by outcome, per suite",
        "Failing tests by cause",
        "Flaky tests, run by run: 1 flaky test over 5 runs",
    ):
        assert title in html
    assert "2 tests from shards/shard-1.xml" not in html  # (one run of 4 tests, two files)
    assert "4 tests from shards/shard-1.xml, shards/shard-2.xml" in html
    assert "<b>warning:</b> history: hist/build-5.xml:1: " in html  # in the verdict banner
