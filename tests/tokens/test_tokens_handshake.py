"""``netra-diag token handshake``'s 'expected' line, read literally: an expired token, or one
with the old helper's iss, or without token_type, was 'expected: authenticated'. The line now
judges the claims any service checks (the key it cannot) and says so; each verdict is checked
against the real reference service on a loopback port."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from live.live_kit import emulator, probe_json

from netra_diag.cli import main
from netra_diag.emulator import ThreadedService
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token

CASES: dict[str, tuple[dict[str, Any], str]] = {
    "good": ({}, "if the server's secret signed it (not checked: no key here)"),
    "expired": ({"ttl": "-5m"}, "expired 5m"),
    "old helper": ({"claims": {"iss": "netra-test", "aud": "netra-api"}}, "iss is 'netra-test'"),
    "type only": ({"claims": {"token_type": None}}, "token_type is missing"),
}


@pytest.fixture(scope="module")
def service() -> Iterator[ThreadedService]:
    with emulator() as svc:
        yield svc


@pytest.mark.parametrize("case", sorted(CASES))
def test_expected_agrees_with_the_service(
    case: str,
    service: ThreadedService,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    options, said = CASES[case]
    token = mint_token("u1", key=LOCAL_DEV_SECRET, now=time.time(), **options)
    assert main(["token", "handshake", token, "--url", service.url, "--json"]) == 0
    expected = json.loads(capsys.readouterr().out)["expected"]
    assert said in expected, expected
    assert token not in expected

    monkeypatch.setenv("QA_TOKEN", token)
    _, doc = probe_json(
        capsys, service.url, "--transport", "subprotocol", "--token-env", "QA_TOKEN"
    )
    # A refused probe reports the close at the top level; a completed one under "close".
    code = doc["code"] if "code" in doc else doc["close"]["code"]
    refused = code == 1008
    assert refused is expected.startswith("rejected under strict auth"), (expected, code)


def test_a_pasted_known_bad_list_is_warned_of(capsys: pytest.CaptureFixture[str]) -> None:
    token = mint_token("u1", key=LOCAL_DEV_SECRET, now=time.time())
    assert main(["token", "handshake", f'["jwt", "{token}"]']) == 0
    out, err = capsys.readouterr()
    assert "warning: the paste is the known-bad subprotocol format" in err
    assert "jwt.<base64url eyJ…#" in out and token not in out + err


@pytest.mark.parametrize("where", ["/ws/factory", "/ws?mode=factory"])
def test_factory_mode_is_expected_to_refuse_the_upgrade(
    where: str,
    service: ThreadedService,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = service.url.removesuffix("/ws") + where
    token = mint_token("u1", key=LOCAL_DEV_SECRET, now=time.time(), ttl="-5m")
    assert main(["token", "handshake", token, "--url", url, "--json"]) == 0
    expected = json.loads(capsys.readouterr().out)["expected"]
    assert expected.startswith("refused under strict auth (HTTP 403 on the upgrade"), expected
    monkeypatch.setenv("QA_TOKEN", token)
    _, doc = probe_json(capsys, url, "--transport", "subprotocol", "--token-env", "QA_TOKEN")
    assert doc["status"] == 403, doc
