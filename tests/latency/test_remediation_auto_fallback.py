"""The remediation SLA (PROTOCOL.md §10) on real cassettes recorded by ``netra-diag probe`` with
``--transport auto`` against the emulator on a loopback port: auto's refused attempts (close
1008 after AUTH_FAILED, or HTTP 403 on /ws/factory) are attempts, not upgraded connects, and one
session's opening is one connect however many transports it tried."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode
from netra_diag.emulator import (
    AuthMode,
    EmulatorConfig,
    ThreadedService,
    TimingProfile,
    start_in_thread,
)
from netra_diag.tokens import mint_token


@pytest.fixture(scope="module")
def query_only() -> Iterator[ThreadedService]:
    """A service that takes credentials only from ``?token=``: auto's header and subprotocol
    attempts are refused first."""
    config = EmulatorConfig(
        auth=AuthMode.STRICT,
        timing=TimingProfile(time_scale=0, tool_calls=(1, 1)),
        transports=frozenset({"query"}),
    )
    with start_in_thread(config) as svc:
        yield svc


def _record(directory: Path, name: str, *argv: str) -> int:
    directory.mkdir(exist_ok=True)
    return main(["probe", *argv, "--record", str(directory / f"{name}.jsonl"), "--json"])


def _sla(capsys: pytest.CaptureFixture[str], directory: Path) -> tuple[int, dict[str, Any]]:
    capsys.readouterr()
    code = main(["sla", "check", "remediation", str(directory), "--json"])
    return code, json.loads(capsys.readouterr().out)


def _check(doc: dict[str, Any], check_id: str) -> dict[str, Any]:
    return next(c for c in doc["checks"] if c["id"] == check_id)


def test_auto_refusals_closed_1008_are_not_counted_as_upgraded_connects(
    query_only: ThreadedService, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for user in ("u1", "u2"):
        assert _record(tmp_path, user, query_only.url, "--sub", user) == ExitCode.OK
    code, doc = _sla(capsys, tmp_path)
    # Two sessions, each in on its third transport: two connects, both good; not six
    # connects of which the four refused ones "upgraded".
    assert _check(doc, "connect-success")["n"] == 2
    assert _check(doc, "connect-success")["observed"] == 1.0
    assert _check(doc, "connect")["n"] == 2
    assert _check(doc, "auth-flow")["n"] == 2
    assert doc["openings"]["fallbacks"] == 4
    assert doc["openings"]["refused"] == {
        "header: closed 1008": 2,
        "subprotocol: closed 1008": 2,
    }
    assert code == ExitCode.OK
    capsys.readouterr()
    main(["sla", "check", "remediation", str(tmp_path)])
    out = capsys.readouterr().out
    assert "auto fallback: 4 refused attempts" in out, out
    assert "header: closed 1008 ×2" in out and "2 connects" in out, out


def test_auto_refusals_http_403_do_not_breach_connect_success(
    query_only: ThreadedService, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    factory = query_only.url.rsplit("/ws", 1)[0] + "/ws/factory"
    assert _record(tmp_path, "factory", factory, "--sub", "u1") == ExitCode.OK
    code, doc = _sla(capsys, tmp_path)
    # The session got in (on ?token=): one good connect, not one in three.
    success = _check(doc, "connect-success")
    assert (success["n"], success["observed"]) == (1, 1.0), success
    assert doc["openings"]["refused"] == {
        "header: rejected HTTP 403": 1,
        "subprotocol: rejected HTTP 403": 1,
    }
    assert code == ExitCode.OK, doc["headline"]


def test_a_session_refused_with_1008_is_a_failed_connect(
    query_only: ThreadedService, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = (query_only.url, "--sub", "u1", "--transport", "header")
    assert _record(tmp_path, "header", *argv) == ExitCode.CONTRACT
    code, doc = _sla(capsys, tmp_path)
    # Accepted (101), then closed 1008 "Authentication failed": the user never got in.
    success = _check(doc, "connect-success")
    assert (success["n"], success["observed"]) == (1, 0.0), success
    assert code == ExitCode.SLA_BREACH


def test_a_session_refused_on_every_transport_is_one_failed_connect(
    query_only: ThreadedService,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    wrong = mint_token("u1", key="not-the-service-secret-" + "x" * 16, now=time.time())
    monkeypatch.setenv("WRONG_TOKEN", wrong)
    argv = (query_only.url, "--token-env", "WRONG_TOKEN")
    assert _record(tmp_path, "wrong", *argv) == ExitCode.CONTRACT
    code, doc = _sla(capsys, tmp_path)
    success = _check(doc, "connect-success")
    assert (success["n"], success["observed"]) == (1, 0.0), success
    assert doc["openings"]["openings"] == 1 and doc["openings"]["openings_in"] == 0
    assert doc["openings"]["fallbacks"] == 0 and doc["openings"]["folded"] >= 2
    assert code == ExitCode.SLA_BREACH
