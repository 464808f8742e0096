"""Test results found in more than one file of a run's shards: the warning names the files, and
the tests whose copies disagree.

It said only "1 test result appeared in more than one file; merged": which files (a shard copied
beside itself, a retried job's file) was left to guess, and a test that failed in one file and
passed in the other was merged in the files' order without a word.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from suite_runs import run_case_module

from netra_diag.suites import load_results

SOURCE = """
import os


def test_always():
    assert False, "broken for good"


def test_flips():
    assert os.environ.get("FLIP_PASSES") == "1", "flipped"
"""


def _shard(src: Path, out: Path, monkeypatch: pytest.MonkeyPatch, *, passes: bool) -> Path:
    monkeypatch.setenv("FLIP_PASSES", "1" if passes else "0")
    run_case_module(src, "flip", SOURCE, f"--junitxml={out}")
    return out


def test_a_copied_shard_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shards = tmp_path / "shards"
    shards.mkdir()
    first = _shard(tmp_path, shards / "junit-2.xml", monkeypatch, passes=False)
    shutil.copy(first, shards / "junit-2-copy.xml")
    run = load_results([shards])
    said = [w for w in run.warnings if "more than one file" in w]
    assert said == [
        "2 test results appeared in more than one file (2 in both "
        f"{shards / 'junit-2-copy.xml'} and {shards / 'junit-2.xml'}); merged"
    ], run.warnings
    assert not any("different results" in w for w in run.warnings)
    assert run.counts.failed == 2


def test_copies_that_disagree_are_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shards = tmp_path / "shards"
    shards.mkdir()
    _shard(tmp_path, shards / "junit-2.xml", monkeypatch, passes=False)
    _shard(tmp_path, shards / "junit-3.xml", monkeypatch, passes=True)
    run = load_results([shards])
    (said,) = [w for w in run.warnings if "different results" in w]
    assert said == (
        "1 test had different results in different files, read as attempts of one test, the "
        f"later file's final: case_flip::test_flips: failed in {shards / 'junit-2.xml'}, "
        f"passed in {shards / 'junit-3.xml'}"
    ), said
