"""``netra-diag probe`` of a token the service refuses still summarises the handshake (status,
transport, subprotocols offered and selected), the auth verdict with the server's whole reason,
and the close: it printed only '== failed' with the server's message cut mid-word, and its
``--json`` had no handshake or auth fields. Exit 3 either way."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator

import pytest
from live_kit import emulator

from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode
from netra_diag.emulator import ThreadedService
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token

STAGING_SECRET = "staging-secret-for-refusal-tests-0123456789"
ALG_NONE_REASON = (
    "Authentication failed: alg is 'none' (an unsigned token); the service refuses it "
    "whatever the claims"
)


def _b64(doc: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(doc).encode()).rstrip(b"=").decode()


def alg_none_token(sub: str) -> str:
    """An unsigned token with every claim the staging service asks for."""
    now = int(time.time())
    claims = {
        "sub": sub,
        "iat": now,
        "exp": now + 600,
        "iss": "netra-auth-service",
        "aud": "netra-platform",
        "jti": "refusal-test",
        "token_type": "access",
    }
    return _b64({"alg": "none", "typ": "JWT"}) + "." + _b64(claims) + "."


@pytest.fixture(scope="module")
def staging() -> Iterator[ThreadedService]:
    with emulator(profile="staging", secret=STAGING_SECRET) as svc:
        yield svc


def probe(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    token: str,
    *argv: str,
) -> tuple[int, str]:
    monkeypatch.setenv("QA_REFUSED_TOKEN", token)
    code = main(["probe", "--token-env", "QA_REFUSED_TOKEN", *argv])
    out = capsys.readouterr().out
    assert token not in out
    return code, out


def section(out: str, heading: str) -> list[str]:
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(heading))
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("== ")), len(lines))
    return lines[start:end]


def test_an_unsigned_token_refused_shows_handshake_auth_and_close(
    staging: ThreadedService,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, out = probe(
        capsys, monkeypatch, alg_none_token("u1"), staging.url, "--transport", "subprotocol"
    )
    assert code == ExitCode.CONTRACT, out
    handshake = section(out, "== handshake")
    assert handshake[1].endswith("transport=subprotocol  HTTP 101"), handshake
    assert any("subprotocol offered=['jwt-auth', 'jwt.<base64url eyJ" in x for x in handshake)
    auth = section(out, "== auth:")
    assert auth[0].startswith("== auth: REFUSED (closed 1008 'Authentication failed'; "), auth
    assert "AUTH_FAILED" in auth[0] and "token sub 'u1'" in auth[0]
    assert auth[0].endswith(f": {ALG_NONE_REASON}"), auth  # whole, not cut mid-word
    close = section(out, "== close:")
    assert close[0].startswith("== close: Closed 1008 'Authentication failed': policy violation.")
    assert out.rstrip().endswith("exit 3 (contract)")


def test_a_token_signed_with_another_secret_names_the_signature(
    staging: ThreadedService,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token = mint_token("u1", key=LOCAL_DEV_SECRET, now=time.time())
    code, out = probe(capsys, monkeypatch, token, staging.url, "--transport", "subprotocol")
    assert code == ExitCode.CONTRACT, out
    auth = section(out, "== auth:")[0]
    assert "REFUSED" in auth and "signature does not verify" in auth, auth


def test_the_known_bad_bare_entry_shows_the_plain_name_selected(
    staging: ThreadedService,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token = mint_token("u1", key=STAGING_SECRET, now=time.time(), profile="staging")
    code, out = probe(capsys, monkeypatch, token, staging.url, "--transport", "bad:jwt-bare")
    assert code == ExitCode.CONTRACT, out
    handshake = "\n".join(section(out, "== handshake"))
    assert "transport=bad:jwt-bare  HTTP 101" in handshake
    assert "offered=['jwt', 'eyJ…#" in handshake and "selected=jwt " in handshake, handshake
    assert "selected the plain name 'jwt'" in handshake
    assert section(out, "== auth:")[0].startswith("== auth: REFUSED"), out


def test_json_carries_the_same_fields_and_no_word_cut_in_half(
    staging: ThreadedService,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, out = probe(
        capsys,
        monkeypatch,
        alg_none_token("u1"),
        staging.url,
        "--transport",
        "bad:jwt-bare",
        "--json",
    )
    doc = json.loads(out)
    assert code == ExitCode.CONTRACT == doc["exit_code"]
    hs = doc["handshake"]
    assert hs["transport"] == "bad:jwt-bare" and hs["status"] == 101
    assert hs["offered_subprotocols"][0] == "jwt" and hs["selected_subprotocol"] == "jwt"
    assert [a["close_code"] for a in hs["attempts"]] == [1008]
    auth = doc["auth"]
    assert auth["refused"] is True and auth["validated"] is False
    assert auth["error_code"] == "AUTH_FAILED" and auth["token_sub"] == "u1"
    assert auth["reason"].startswith("Authentication failed: no credentials: send ")
    assert not auth["reason"].endswith("…")
    assert doc["close"]["code"] == 1008 and doc["close"]["rfc_meaning"] == "policy violation"
    # The error frame in the close explanation is cut after a whole word, and says so.
    frame = doc["close"]["last_frames"][0]
    for text in (doc["message"], doc["explanation"], doc["close"]["explanation"]):
        shown = text.split("Last frames: ", 1)[1]
        assert "…" in shown, shown
        kept = shown.split("…", 1)[0]
        assert frame.startswith(kept), (kept, frame)
        assert frame[len(kept)] in " ,;:", f"cut mid-word: {kept[-20:]!r}"


def test_an_opened_session_names_no_recording_of_its_own(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The probe records every session to read a refusal back; that file is not the user's."""
    code = main(["probe", "--time-scale", "0", "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == ExitCode.OK
    assert doc["recording"] is None and doc["recorded_frames_in"] is None
