"""How ``netra-diag token inspect/verify`` take a token: from a file (a path, ``@FILE``,
a Windows file with a byte-order mark), from stdin that holds binary data (a strict UTF-8 stdin,
as PYTHONIOENCODING=utf-8 makes it, crashed with a UnicodeDecodeError traceback), and pasted
from a chat tool (typographic quotes)."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest

from netra_diag.cli import main
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token


@pytest.fixture(autouse=True)
def no_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("JWT_SECRET_KEY", "JWT_SECRET", "JWT_SECRET_DEVELOPMENT"):
        monkeypatch.delenv(name, raising=False)


def token() -> str:
    return mint_token("u1", key=LOCAL_DEV_SECRET, now=time.time())


@pytest.mark.parametrize("how", ["path", "@path"])
@pytest.mark.parametrize("content", ["{t}\n", "\ufeff{t}\r\n"])
def test_a_token_in_a_file(
    how: str, content: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "token.txt"
    path.write_bytes(content.format(t=token()).encode("utf-8"))
    arg = str(path) if how == "path" else f"@{path}"
    assert main(["token", "verify", arg]) == 0
    out, err = capsys.readouterr()
    assert "is valid for local" in out, out + err
    assert f"read the token from file {path}" in err


def test_a_missing_token_file_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["token", "inspect", f"@{tmp_path}/nope.txt"]) == 2
    err = capsys.readouterr().err
    assert f"cannot read the token file {tmp_path}/nope.txt: No such file" in err


def test_binary_stdin_is_said_to_be_binary_not_a_crash(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = b"\x1f\x8b\x08\x00\xa4 garbage \xff\xfe"
    strict = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="strict")
    monkeypatch.setattr("sys.stdin", strict)
    assert main(["token", "inspect", "-"]) == 1
    out = capsys.readouterr().out
    assert "the input is binary data, not a token: byte 0x8B, which is not UTF-8" in out
    assert "words with whitespace" not in out


def test_typographic_quotes_are_stripped(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "verify", f"\u201c{token()}\u201d"]) == 0
    assert "stripped quotes" in capsys.readouterr().err


@pytest.mark.parametrize("text", ["x" * 5000, "a\0b", "abc"])
def test_text_that_is_no_file_name_is_taken_as_the_token(
    text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["token", "inspect", text]) == 1
    out, err = capsys.readouterr()
    assert "problem" in out and "read the token from file" not in err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_reading_a_terminal_says_how_to_end_the_paste(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", _Terminal(token() + "\n"))
    assert main(["token", "inspect", "-"]) == 0
    assert "paste it, then Ctrl-D" in capsys.readouterr().err
