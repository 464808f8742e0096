"""A test much slower than its own history is said without a baseline: real pytest runs, the
times slept read from QA_RUN, triaged with --history alone.

test_slow takes 0.05 s in runs 1-4 and 1.3 s in run 5 (the one triaged): slower than its
history, and so is test_quick (0.000 s before, as pytest writes it, 1.1 s now). test_noisy took
1.4 s once before: 1.3 s now is within its own noise. test_slow_failure is slow now and fails:
a failure already, not a slowdown.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from history_runs import run_history

from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode
from netra_diag.suites import triage

_SOURCE = """
import os
import time

RUN = int(os.environ["QA_RUN"])


def test_steady():
    pass


def test_quick():
    time.sleep(1.1 if RUN == 5 else 0)


def test_slow():
    time.sleep(1.3 if RUN == 5 else 0.05)


def test_noisy():
    time.sleep({1: 0.05, 2: 1.4, 3: 0.05, 4: 0.05, 5: 1.3}.get(RUN, 0.05))


def test_slow_failure():
    if RUN == 5:
        time.sleep(1.2)
        raise AssertionError("no event within 1.2 s")
"""


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    made = run_history(tmp_path_factory.mktemp("slow"), _SOURCE, range(1, 6))
    # test_quick's earlier passes as pytest writes them on an idle machine, 0.000 s (a loaded
    # one, as a shared CI runner, may write 0.001)
    for path in made[:-1]:
        text = path.read_text(encoding="utf-8")
        text = re.sub(r'(name="test_quick" time=)"[0-9.]+"', r'\1"0.000"', text)
        path.write_text(text, encoding="utf-8")
    return made


def test_a_test_much_slower_than_its_history_is_said(
    runs: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    report = triage(runs[-1], history=runs[0].parent)
    assert report.flakiness is not None
    found = {s.test_id: s for s in report.flakiness.slower}
    assert sorted(found) == ["case_hist::test_quick", "case_hist::test_slow"]
    slow, quick = found["case_hist::test_slow"], found["case_hist::test_quick"]
    assert quick.median == 0
    assert slow.runs == 4
    assert slow.median < 0.5 and slow.after >= 1.3
    assert slow.few_runs  # (4 earlier passes: said with a caveat)
    assert "2 tests slower than their history" in [f.phrase for f in report.findings]
    text = report.to_text()
    assert "Slower than their history" in text
    # (times as slept, give or take a loaded machine's hundredths)
    assert re.search(
        r"case_hist::test_slow: 0\.\d\d s -> 1\.\d\d s \(\d+\.\dx the median of 4 earlier "
        r"passes, slowest before 0\.\d\d s\)",
        text,
    )
    assert re.search(
        r"case_hist::test_quick: 0\.00 s -> 1\.\d\d s \(the median under 1 ms of 4 earlier", text
    )
    assert "few earlier runs" in text
    assert "test_noisy" not in text.split("Slower than their history")[1].split("\n\n")[0]
    # (a slowdown does not fail the run: the failing test does)
    code = main(["triage", str(runs[-1]), "--history", str(runs[0].parent), "--json"])
    assert code == ExitCode.FAILURE
    data = json.loads(capsys.readouterr().out)["flakiness"]["slower_than_history"]
    assert sorted(s["test_id"] for s in data) == ["case_hist::test_quick", "case_hist::test_slow"]
    assert all(s["earlier_passes"] == 4 and s["few_runs"] is True for s in data)


def test_two_earlier_runs_are_too_few_to_judge(runs: list[Path], tmp_path: Path) -> None:
    history = tmp_path / "history"
    history.mkdir()
    for run in runs[2:4]:
        (history / run.name).write_bytes(run.read_bytes())
    report = triage(runs[-1], history=history)
    assert report.flakiness is not None and report.flakiness.slower == ()


def test_with_a_baseline_too_the_headline_says_slower_once(runs: list[Path]) -> None:
    report = triage(runs[-1], history=runs[0].parent, baseline=runs[-2])
    phrases = [f.phrase for f in report.findings]
    # (one run to compare with: test_noisy and the failure are slower than in the baseline)
    assert "4 tests slower than in the baseline" in phrases
    assert "2 tests slower than their history" in phrases
    assert report.headline.count("slower") <= 1


_LATE = """
import os
import time

RUN = int(os.environ["QA_RUN"])


def test_late():
    time.sleep(1.3 if RUN == 4 else 0.05)
"""


def test_an_older_run_is_judged_on_the_runs_before_it(tmp_path: Path) -> None:
    # Run 4 triaged again, its folder holding runs 1-6: runs 5 and 6 started after it, and are
    # no earlier passes of it (their reports say when they started)
    runs = run_history(tmp_path, _LATE, range(1, 7))
    report = triage(runs[3], history=runs[0].parent)
    assert report.flakiness is not None
    (late,) = report.flakiness.slower
    assert late.test_id == "case_hist::test_late" and late.runs == 3
    assert "the median of 3 earlier passes" in report.to_text()


_NOISY = """
import os
import time

RUN = int(os.environ["QA_RUN"])


def test_noisy():
    time.sleep({1: 0.3, 2: 0.6, 3: 1.2, 4: 0.4, 5: 0.9}.get(RUN, 1.7))


def test_steady_then_slow():
    time.sleep(1.5 if RUN == 6 else 0.2)
"""


def test_a_test_whose_times_vary_widely_is_judged_by_its_own_spread(tmp_path: Path) -> None:
    # test_noisy took 0.3-1.2 s (median 0.6 s): 1.7 s is twice its median, a second longer and
    # over its slowest, yet within three of its own spreads; test_steady_then_slow is not
    runs = run_history(tmp_path, _NOISY, range(1, 7))
    report = triage(runs[-1], history=runs[0].parent)
    assert report.flakiness is not None
    assert [s.test_id for s in report.flakiness.slower] == ["case_hist::test_steady_then_slow"]
