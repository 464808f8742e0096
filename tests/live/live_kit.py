"""What the live tools' end-to-end tests share: the real emulator on a loopback port, and
``netra-diag probe --json`` run in-process."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from netra_diag.cli import main
from netra_diag.emulator import (
    AuthMode,
    EmulatorConfig,
    ThreadedService,
    TimingProfile,
    start_in_thread,
)

# No waiting between events, one or two tool calls per run: a run takes milliseconds.
TIMING = TimingProfile(time_scale=0, tool_calls=(1, 2))


@contextmanager
def emulator(**config: Any) -> Iterator[ThreadedService]:
    """The emulator with ``config`` (strict auth and ``TIMING`` unless given), on port 0."""
    settings: dict[str, Any] = {"auth": AuthMode.STRICT, "timing": TIMING, **config}
    with start_in_thread(EmulatorConfig(**settings)) as svc:
        yield svc


def probe_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    """``netra-diag probe ARGV --json``: its exit code and document."""
    code = main(["probe", *argv, "--json"])
    return code, json.loads(capsys.readouterr().out)
