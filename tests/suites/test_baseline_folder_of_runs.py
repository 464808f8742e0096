"""A folder of separate runs given where one run is expected (``--baseline runs/``, or as the
results): merged as attempts of one run, which the report now says, with what to give instead;
the baseline's own warnings were dropped before."""

from __future__ import annotations

from pathlib import Path

from test_render_history_fields import _FAIL, _run

from netra_diag.suites import triage


def _runs(folder: Path, outcomes: list[str]) -> None:
    folder.mkdir()
    for n, body in enumerate(outcomes, 1):
        _run(
            folder / f"run-{n}.xml",
            {"test_a": ("0.1", body), "test_b": ("0.1", "")},
            f"2026-12-0{n}T10:00:00",
        )


def test_a_baseline_folder_of_whole_runs_is_said(tmp_path: Path) -> None:
    _runs(tmp_path / "runs", ["", _FAIL, ""])
    current = _run(
        tmp_path / "cur.xml",
        {"test_a": ("0.1", _FAIL), "test_b": ("0.1", "")},
        "2026-12-07T10:00:00",
    )
    warnings = triage(current, baseline=tmp_path / "runs").warnings
    assert any(
        w.startswith("baseline: 4 test results appeared in more than one file (")
        and w.endswith("); merged")
        for w in warnings
    ), warnings
    assert any(
        w.startswith("baseline: 3 files each hold (nearly) every test")
        and "give the latest alone, and the folder as --history" in w
        for w in warnings
    ), warnings


def test_shards_are_not_said_to_be_whole_runs(tmp_path: Path) -> None:
    shards = tmp_path / "shards"
    shards.mkdir()
    for n in range(3):
        cases = {f"test_{n}_{i}": ("0.1", "") for i in range(4)}
        cases["test_0_0"] = ("0.1", "")  # one test in every shard (a retried one, say)
        _run(shards / f"shard-{n}.xml", cases, f"2026-12-07T10:0{n}:00")
    warnings = triage(shards).warnings
    assert any("appeared in more than one file" in w for w in warnings)
    assert not any("every test" in w for w in warnings), warnings
