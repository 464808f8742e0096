"""A fan-out larger than this process may hold open (``ulimit -n``) is a usage error naming how
many users fit, said before the service starts: past the limit the embedded service's accept
loop printed a traceback per refused connection and every user left over failed, after 10 s,
as "opening handshake timed out" (exit 5). Real processes with a lowered limit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from timeouts import scaled

resource = pytest.importorskip("resource")

CLI = str(Path(sys.executable).with_name("netra-diag"))
LIMIT = 200


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (LIMIT, LIMIT))


def _fanout(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CLI, "fanout", *argv, "--no-progress"],
        capture_output=True,
        text=True,
        preexec_fn=_limited,
        timeout=scaled(120),
    )


def test_too_many_users_for_the_limit_is_a_usage_error(tmp_path: Path) -> None:
    done = _fanout("--users", "150", "--record", str(tmp_path / "c"))
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.strip() == (
        "netra-diag fanout: error: --users 150 needs about 514 open files (3 per user and 64 "
        f"for the process), but this process may open {LIMIT} (ulimit -n; hard limit {LIMIT}): "
        "give --users 45 or fewer, or raise the limit"
    )
    assert done.stdout == ""  # said before the embedded service started
    assert "Traceback" not in done.stderr


def test_as_many_as_fit_run(tmp_path: Path) -> None:
    done = _fanout("--users", "45", "--record", str(tmp_path / "c"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert len(list((tmp_path / "c").glob("*.jsonl"))) == 45


def test_help_says_so() -> None:
    out = subprocess.run([CLI, "fanout", "--help"], capture_output=True, text=True).stdout
    assert "More --users than this process may hold open (ulimit -n" in out
