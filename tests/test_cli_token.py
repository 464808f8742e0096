"""`netra-diag token ...` through `main(argv)`, and the mint | inspect pipe as a user runs it."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from netra_diag.cli import main
from netra_diag.tokens import LOCAL_DEV_SECRET, encode_subprotocol_token, mint_token

SECRET_VARS = (
    "JWT_SECRET_KEY",
    "JWT_SECRET",
    "JWT_SECRET_DEVELOPMENT",
    "JWT_SECRET_TEST",
    "JWT_SECRET_STAGING",
    "JWT_SECRET_PRODUCTION",
)
STAGING_SECRET = "staging-secret-for-cli-tests-0123456789"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SECRET_VARS:
        monkeypatch.delenv(name, raising=False)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def fresh(**kwargs: object) -> str:
    kwargs.setdefault("key", LOCAL_DEV_SECRET)
    return mint_token("u1", now=time.time(), **kwargs)  # type: ignore[arg-type]


def test_mint_prints_only_the_token_on_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "token", "mint", "--sub", "u1", "--ttl", "15m")
    assert code == 0
    token = out.strip()
    assert token.count(".") == 2 and "\n" not in token
    assert "built-in local development secret" in err and "profile local" in err
    assert token not in err  # the note carries the fingerprint only
    code, out, _ = run(capsys, "token", "inspect", token, "--json")
    data = json.loads(out)
    assert data["lifetime_s"] == 900 and data["claims"]["sub"] == "u1"


def test_mint_options(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JWT_SECRET_STAGING", STAGING_SECRET)
    code, out, err = run(
        capsys,
        "token", "mint", "--sub", "u2", "--profile", "staging", "--expires-in", "60",
        "--claim", "env=staging", "--claim", "permissions=[\"admin\"]", "--claim", "jti=null",
        "--type", "refresh", "--json",
    )  # fmt: skip
    assert code == 0, err
    data = json.loads(out)
    claims = data["claims"]
    assert claims["env"] == "staging" and claims["permissions"] == ["admin"]
    assert "jti" not in claims and claims["token_type"] == "refresh"
    assert data["lifetime_s"] == 60
    assert "JWT_SECRET_STAGING (deprecated name)" in err
    assert STAGING_SECRET not in out + err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--profile", "production"], "--allow-production"),
        (["--profile", "staging"], "no secret for profile staging: set JWT_SECRET_KEY"),
        (["--profile", "qa"], "unknown token profile 'qa'"),
        (["--ttl", "soon"], "bad TTL 'soon'"),
        (["--claim", "novalue"], "bad --claim 'novalue'"),
        (["--alg", "RS256"], "RS256 needs --key-file"),
        (["--secret-env", "NOPE_UNSET"], "NOPE_UNSET is not set"),
        (["--key-file", "/nonexistent/key.pem"], "cannot read key file"),
    ],
)
def test_mint_usage_errors_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, "token", "mint", "--sub", "u1", *argv)
    assert code == 2 and out == ""
    assert message in err


def test_mint_rs256_with_key_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = tmp_path / "private.pem"
    public = tmp_path / "public.pem"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    code, out, _ = run(
        capsys, "token", "mint", "--sub", "u1", "--alg", "RS256", "--key-file", str(private)
    )
    assert code == 0
    code, out, _ = run(capsys, "token", "verify", out.strip(), "--key-file", str(public))
    assert code == 0 and "is valid for local" in out


def test_inspect_from_stdin_and_malformed_exit_1(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    token = fresh()
    monkeypatch.setattr(sys, "stdin", io.StringIO(token + "\n"))
    code, out, _ = run(capsys, "token", "inspect", "-")
    assert code == 0 and "expires in" in out
    code, out, _ = run(capsys, "token", "inspect", "abc.d!f")
    assert code == 1
    assert "not 3 parts: found 2" in out and "part 2 (payload): bad base64url" in out


def test_verify_valid_expired_and_wrong_secret(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = run(capsys, "token", "verify", fresh())
    assert code == 0 and "is valid for local" in out
    expired = mint_token("u1", key=LOCAL_DEV_SECRET, now=time.time() - 1000, ttl="10m")
    code, out, _ = run(capsys, "token", "verify", expired)
    assert code == 1
    assert "[expired] expired 6m 4" in out and "expected:" in out and "hint:" in out
    monkeypatch.setenv("JWT_SECRET_KEY", STAGING_SECRET)
    code, out, _ = run(capsys, "token", "verify", fresh(), "--profile", "staging", "--json")
    assert code == 1
    data = json.loads(out)
    assert [f["code"] for f in data["failures"]] == ["bad_signature"]
    assert "built-in local development secret" in data["failures"][0]["hint"]
    assert data["key_source"] == "$JWT_SECRET_KEY"
    assert STAGING_SECRET not in out


def test_verify_leeway_and_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    ahead = mint_token("u1", key=LOCAL_DEV_SECRET, now=time.time() + 40)
    code, out, _ = run(capsys, "token", "verify", ahead)
    assert code == 1 and "issued_in_future" in out and "--leeway 45" in out
    code, _, _ = run(capsys, "token", "verify", ahead, "--leeway", "60s")
    assert code == 0
    code, _, err = run(capsys, "token", "verify", ahead, "--profile", "staging")
    assert code == 2 and "no secret for profile staging" in err
    code, _, err = run(capsys, "token", "verify", ahead, "--leeway", "lots")
    assert code == 2 and "--leeway 'lots' is not a duration" in err


def test_verify_strips_a_pasted_bearer_prefix(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "token", "verify", f"Bearer {fresh()}")
    assert code == 0 and "stripped 'Bearer '" in err


def test_handshake_outputs(capsys: pytest.CaptureFixture[str]) -> None:
    token = fresh()
    code, out, _ = run(capsys, "token", "handshake", token, "--json")
    assert code == 0
    data = json.loads(out)
    assert data["transport"] == "subprotocol"
    assert data["subprotocols"][0] == "jwt-auth"
    assert data["subprotocols"][1].startswith("jwt.<base64url eyJ")
    code, out, _ = run(capsys, "token", "handshake", token, "--bad", "jwt-bare", "--json")
    assert json.loads(out)["subprotocols"][0] == "jwt"
    code, out, _ = run(capsys, "token", "handshake", token, "--all")
    assert code == 0 and out.count("transport ") == 11
    code, _, err = run(capsys, "token", "handshake", token, "--url", "http://127.0.0.1/ws")
    assert code == 2 and "ws:// or wss://" in err


def test_no_output_except_mint_contains_the_token(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    token = fresh()
    bad_sig = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    encoded = encode_subprotocol_token(token)
    commands = [
        ["token", "inspect", token],
        ["token", "inspect", token, "--json"],
        ["token", "inspect", f"jwt.{encoded}"],
        ["token", "verify", token],
        ["token", "verify", token, "--json"],
        ["token", "verify", bad_sig],
        ["token", "verify", bad_sig, "--json"],
        ["token", "handshake", token, "--all"],
        ["token", "handshake", token, "--all", "--json"],
        *(["token", "handshake", token, "--transport", t] for t in ("header", "query", "bearer")),
        ["token", "handshake", token, "--transport", "subprotocol-raw", "--json"],
    ]
    for argv in commands:
        code, out, err = run(capsys, *argv)
        assert code in (0, 1), (argv, err)
        for secret in (token, bad_sig, encoded, LOCAL_DEV_SECRET):
            assert secret not in out and secret not in err, argv


def test_token_without_action_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "token")
    assert code == 2 and "mint" in out and "verify" in out


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in SECRET_VARS}


def test_mint_pipe_inspect_as_a_user_runs_it() -> None:
    cli = [sys.executable, "-m", "netra_diag", "token"]
    with subprocess.Popen(
        [*cli, "mint", "--sub", "u1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env()
    ) as mint:
        inspect = subprocess.run(
            [*cli, "inspect", "-"],
            stdin=mint.stdout,
            capture_output=True,
            text=True,
            env=_env(),
            timeout=60,
        )
        assert mint.stdout is not None and mint.stderr is not None
        mint.stdout.close()
        note = mint.stderr.read().decode()
    assert mint.returncode == 0 and inspect.returncode == 0, inspect.stderr
    assert '"u1"' in inspect.stdout and "lifetime 2h" in inspect.stdout
    assert re.search(r"status  expires in (2h|1h 59m)", inspect.stdout)
    assert "minted access token" in note


HS_FILE_SECRET = "secret-for-hs-key-file-0123456789abcdef"


@pytest.mark.parametrize("ending", ["\n", "\r\n", ""])
def test_hs_key_file_secret_is_the_service_secret(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    ending: str,
) -> None:
    """``printf 'secret\\n' > hs.key``: the newline is not part of the secret, so a token minted
    with the file verifies with JWT_SECRET_KEY holding the secret, and the other way round."""
    key_file = tmp_path / "hs.key"
    key_file.write_bytes((HS_FILE_SECRET + ending).encode())
    code, out, _ = run(capsys, "token", "mint", "--sub", "u1", "--key-file", str(key_file))
    assert code == 0
    token = out.strip()
    monkeypatch.setenv("HS_ENV_SECRET", HS_FILE_SECRET)
    code, out, _ = run(capsys, "token", "verify", "--secret-env", "HS_ENV_SECRET", token)
    assert code == 0 and "is valid" in out
    # the same file verifies it: HS256 inferred from a key file that is not PEM
    code, out, _ = run(capsys, "token", "verify", "--key-file", str(key_file), token)
    assert code == 0 and "is valid" in out, out
    env_token = fresh(key=HS_FILE_SECRET)
    code, out, _ = run(capsys, "token", "verify", "--key-file", str(key_file), env_token)
    assert code == 0 and "is valid" in out, out


def test_key_file_kind_must_fit_the_algorithm(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """No algorithm confusion: a PEM key is never an HMAC secret, and an RS256 check needs PEM."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = tmp_path / "public.pem"
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    hs_token = fresh()
    # a PEM file still means RS256/ES256 only: the HS256 token is refused as before
    code, out, _ = run(capsys, "token", "verify", "--key-file", str(public), hs_token)
    assert code == 1 and "alg_mismatch" in out
    code, out, err = run(
        capsys, "token", "verify", "--key-file", str(public), "--alg", "HS256", hs_token
    )
    assert code == 2 and "holds a PEM key, but HS256" in err
    hs_file = tmp_path / "hs.key"
    hs_file.write_text(HS_FILE_SECRET + "\n")
    code, out, err = run(
        capsys, "token", "verify", "--key-file", str(hs_file), "--alg", "RS256", hs_token
    )
    assert code == 2 and "RS256 needs a PEM key" in err


@pytest.mark.parametrize(
    ("claims", "note"),
    [
        (["--claim", "sub=u2"], "minted access token for sub='u2'"),
        (["--claim", "sub=null"], "minted access token without a sub claim"),
        (["--claim", "token_type=refresh"], "minted refresh token for sub='u1'"),
        ([], "minted access token for sub='u1'"),
    ],
)
def test_mint_note_describes_the_minted_token(
    capsys: pytest.CaptureFixture[str], claims: list[str], note: str
) -> None:
    code, out, err = run(capsys, "token", "mint", "--sub", "u1", *claims)
    assert code == 0 and note in err
    code, seen, _ = run(capsys, "token", "inspect", out.strip(), "--json")
    sub = json.loads(seen)["claims"].get("sub")
    assert (f"sub={sub!r}" in err) if sub else ("without a sub claim" in err)


def test_small_wording_fixes(capsys: pytest.CaptureFixture[str]) -> None:
    token = fresh()
    code, out, _ = run(capsys, "token", "inspect", token[:100])
    assert code == 1 and "Unterminated string starting at character" in out
    assert "at at" not in out
    code, out, _ = run(capsys, "token", "verify", "--type", "refresh", token)
    assert code == 1 and "netra-diag token mint --type refresh" in out
    for option, value in (("--leeway", "abc"), ("--max-age", "xyz")):
        code, _, err = run(capsys, "token", "verify", option, value, token)
        assert code == 2 and f"{option} '{value}' is not a duration" in err


def test_expired_token_accepted_within_the_leeway(capsys: pytest.CaptureFixture[str]) -> None:
    expired = mint_token("u1", key=LOCAL_DEV_SECRET, now=time.time() - 320, ttl=300)
    code, out, _ = run(capsys, "token", "verify", "--leeway", "30", expired)
    assert code == 0
    assert re.search(r"expired 2\ds ago, accepted within the 30s leeway", out), out
    assert "expires in -" not in out


def test_handshake_without_a_token(capsys: pytest.CaptureFixture[str]) -> None:
    """Handshakes that carry no token need no TOKEN argument; the others say they need one."""
    code, out, _ = run(capsys, "token", "handshake", "--transport", "none")
    assert code == 0 and "no credentials at all" in out
    code, out, _ = run(capsys, "token", "handshake", "--bad", "unsupported-subprotocol")
    assert code == 0 and "1003" in out
    code, out, err = run(capsys, "token", "handshake", "--transport", "header")
    assert code == 2 and "TOKEN is needed" in err
