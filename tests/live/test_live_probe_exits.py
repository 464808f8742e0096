"""``netra-diag probe`` and ``fanout`` against the real emulator on a loopback port: the
verdict of a session is about its own socket, not the attempts ``auto`` made before it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from live_kit import emulator, probe_json

from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode
from netra_diag.emulator import (
    ThreadedService,
)


@pytest.fixture(scope="module")
def query_only() -> Iterator[ThreadedService]:
    """A strict service that accepts credentials only from ``?token=``: ``auto`` is refused by
    header and subprotocol first (AUTH_FAILED, close 1008), then gets in by query."""
    with emulator(transports={"query"}) as svc:
        yield svc


def test_auto_judges_the_socket_it_kept_not_the_attempts_it_abandoned(
    query_only: ThreadedService, capsys: pytest.CaptureFixture[str]
) -> None:
    code, doc = probe_json(capsys, query_only.url, "--sub", "u1")
    handshake = doc["handshake"]
    assert isinstance(handshake, dict)
    assert handshake["transport"] == "query"
    assert [a["outcome"] for a in handshake["attempts"]][-1] == "validated"
    # The header and subprotocol attempts were refused (as auto expects of some); the session
    # that ran is clean, so no contract problem and exit 0.
    assert doc["contract_problems"] == [], doc["contract_problems"]
    assert code == ExitCode.OK


def test_fanout_auto_judges_each_users_kept_socket(
    query_only: ThreadedService, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["fanout", query_only.url, "--users", "3", "--no-progress"])
    out = capsys.readouterr().out
    assert "errors by class:    none" in out, out
    assert code == ExitCode.OK, out


def test_fanout_says_when_users_got_in_only_after_auto_was_refused(
    query_only: ThreadedService, capsys: pytest.CaptureFixture[str]
) -> None:
    """Judging the kept socket must not hide that the server refused the first transports: a
    service that takes only some transports, or one refusing valid credentials now and then
    (``reject_auth@0.5``), both show as a line and in the JSON."""
    code = main(["fanout", query_only.url, "--users", "3", "--no-progress", "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == ExitCode.OK
    fallback = doc["auto_fallback"]
    assert fallback["users"] == 3, fallback
    assert fallback["refused"] == {"header: closed 1008": 3, "subprotocol: closed 1008": 3}
    main(["fanout", query_only.url, "--users", "3", "--no-progress"])
    out = capsys.readouterr().out
    assert "3 of 3 users got in only after" in out, out


def test_probe_latency_is_the_kept_attempts_own(
    query_only: ThreadedService, capsys: pytest.CaptureFixture[str]
) -> None:
    """upgrade_ms and established_ms time the attempt auto kept (query), not the first attempt's
    upgrade against the kept one's connection_established; the search before it is apart."""
    _, doc = probe_json(capsys, query_only.url, "--sub", "u1")
    latency: Any = doc["latency"]
    attempts: Any = doc["handshake"]["attempts"]  # type: ignore[index]
    kept = attempts[-1]
    assert kept["transport"] == "query"
    assert latency["established_ms"] <= kept["duration_s"] * 1e3 + 1.0, (latency, attempts)
    assert latency["upgrade_ms"] <= latency["established_ms"]
    assert latency["auto_tried_ms"] >= sum(a["duration_s"] for a in attempts[:-1]) * 1e3 - 1.0
