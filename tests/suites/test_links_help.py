"""``pytest --help`` says what --netra-record writes, where, and what reads it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_help_of_netra_record_says_what_it_writes_and_what_reads_it(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--help"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    section = done.stdout[done.stdout.index("netra-diag:") :]
    words = " ".join(section[: section.index("\n\n")].split())
    for said in (
        "--netra-record=DIR",
        "netra_session fixture",
        "DIR/<node id>[.N].jsonl",
        "DIR/<node id>.outcome.json",
        "outcome",
        "fingerprints",
        "netra-diag triage JUNIT.xml --recordings DIR",
    ):
        assert said in words, words
