"""What the live tools' end-to-end tests share: the real emulator on a loopback port,
``netra-diag probe --json`` run in-process, and a cassette of one real run."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from timeouts import TIMEOUT_FACTOR

from netra_diag.cli import main
from netra_diag.emulator import (
    AuthMode,
    EmulatorConfig,
    ThreadedService,
    TimingProfile,
    run_service,
    start_in_thread,
)
from netra_diag.live import Session
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token

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


async def record_one_run(path: Path, *, time_scale: float = 0) -> None:
    """Record one real run of user ``u1`` (strict auth, subprotocol transport, one tool call)
    against the reference service into cassette ``path``; ``time_scale`` 0.1 puts its frames
    tens of milliseconds apart."""
    timing = TimingProfile(time_scale=time_scale, tool_calls=(1, 1))
    token = mint_token("u1", key=LOCAL_DEV_SECRET, now=time.time())
    async with run_service(EmulatorConfig(auth=AuthMode.STRICT, timing=timing)) as svc:
        session = await Session.connect(
            svc.ws_url("/ws"), token=token, transport="subprotocol", record=path
        )
        async with session:
            assert (await session.run("hello", timeout=30 * TIMEOUT_FACTOR)).ok
