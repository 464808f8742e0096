"""``probe --token-env`` given a value the real client would send as it is, and the service would
refuse: the known-bad subprotocol list ``["jwt", "<jwt>"]`` (PROTOCOL.md §2, §9), or the token
with a line break after it. The probe connects with the token it found (exit 0: the token is
fine) but says on stderr, as ``token inspect`` does, that the value itself will be refused."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from live_kit import emulator

from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode
from netra_diag.emulator import ThreadedService
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token


@pytest.fixture(scope="module")
def service() -> Iterator[ThreadedService]:
    with emulator() as svc:
        yield svc


def probe_env(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    value: str,
    *argv: str,
) -> tuple[int, str, str]:
    monkeypatch.setenv("QA_PASTED_TOKEN", value)
    code = main(["probe", "--token-env", "QA_PASTED_TOKEN", *argv])
    got = capsys.readouterr()
    return code, got.out, got.err


def test_a_pasted_known_bad_list_is_warned_about(
    service: ThreadedService,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token = mint_token("u1", key=LOCAL_DEV_SECRET, now=time.time())
    pasted = json.dumps(["jwt", token])
    code, out, err = probe_env(capsys, monkeypatch, pasted, service.url, "--transport", "header")
    assert code == ExitCode.OK, out + err
    assert "== auth: validated" in out
    warning = next(line for line in err.splitlines() if line.startswith("warning: --token-env"))
    assert "known-bad subprotocol format" in warning and "PROTOCOL.md §2, §9" in warning
    assert "it selects 'jwt', finds no token and refuses the connection" in warning
    assert "the probe used the token it held" in warning.lower()
    assert "will be refused" in warning
    assert token not in err and token not in out


def test_the_list_sent_as_it_is_is_refused_indeed(
    service: ThreadedService, capsys: pytest.CaptureFixture[str]
) -> None:
    """What the warning says, against the real service: that very format is refused."""
    code = main(["probe", service.url, "--sub", "u1", "--transport", "bad:jwt-bare"])
    assert code == ExitCode.CONTRACT, capsys.readouterr().out


def test_a_token_alone_says_nothing(
    service: ThreadedService,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token = mint_token("u1", key=LOCAL_DEV_SECRET, now=time.time())
    code, _, err = probe_env(capsys, monkeypatch, token, service.url, "--transport", "header")
    assert code == ExitCode.OK
    assert err == ""


@pytest.mark.parametrize(("ending", "char"), [("\n", "U+000A"), ("\r\n", "U+000D")])
def test_a_line_break_after_the_token_is_noted(
    service: ThreadedService,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    ending: str,
    char: str,
) -> None:
    token = mint_token("u1", key=LOCAL_DEV_SECRET, now=time.time())
    code, out, err = probe_env(
        capsys, monkeypatch, token + ending, service.url, "--transport", "query"
    )
    assert code == ExitCode.OK, out + err
    note = next(line for line in err.splitlines() if "line break" in line)
    assert f"ends with a line break ({json.dumps(ending)}) after the token" in note
    assert "will be refused" in note and char in note
    assert token not in err


def test_the_service_refuses_a_query_token_with_its_line_break(
    service: ThreadedService, capsys: pytest.CaptureFixture[str]
) -> None:
    """What the note says, against the real service: ``?token=<jwt>%0A`` is refused."""
    token = mint_token("u1", key=LOCAL_DEV_SECRET, now=time.time())
    url = f"{service.url}?token={quote(token + chr(10))}"
    code = main(["probe", url, "--no-token", "--transport", "none", "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == ExitCode.CONTRACT
    assert "character U+000A" in doc["auth"]["reason"], doc["auth"]
