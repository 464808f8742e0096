"""``netra-diag scrub`` on cassettes: a cassette about to be shared in a pull request is checked
(``--check``) and cleaned of every token and secret the recorder did not know, wherever it
stands (URL, subprotocol, headers, frame text, error text, a damaged line), and nothing else of
the recording changes."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import pytest
from live_kit import record_one_run

from netra_diag.cli import main
from netra_diag.recording import load_cassette
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token

ENV_SECRET = "qa-api-key-value-9f8e7d6c"  # the value of a secret-named environment variable
OPAQUE = "opaque-bearer-5b4a39281706"  # not JWT-shaped: only where it stands says what it is
TICKET = "tkt9Qm2xLr7Vb3Nc8Zp"


def leak(clean: Path, dirty: Path, token: str) -> tuple[list[int], list[str]]:
    """``clean`` with secrets put where an older or hand-edited cassette may hold them; returns
    the numbers of the lines that hold one, and every secret as it is written."""
    wrapped = base64.urlsafe_b64encode(token.encode()).decode().rstrip("=")
    lines = [json.loads(x) for x in clean.read_text().splitlines()]
    lines[0]["endpoint"] += f"?token={token}"
    upgrade = next(i for i, x in enumerate(lines) if x.get("name") == "upgrade_done")
    lines[upgrade]["data"]["offered"] = ["jwt-auth", f"jwt.{wrapped}"]
    frame = next(i for i, x in enumerate(lines) if x.get("type") == "agent_started")
    lines[frame]["text"] = lines[frame]["text"].replace("}", f', "note": "key {ENV_SECRET}"}}', 1)
    refused = {"status": 403, "body": f"bad key {ENV_SECRET}"}
    refused["headers"] = [["WWW-Authenticate", "Bearer"], ["Authorization", f"Bearer {OPAQUE}"]]
    lines.append({"kind": "mark", "name": "handshake_rejected", "t_ns": 9, "data": refused})
    error = f"GET /ws?ticket={TICKET} failed"
    lines.append({"kind": "mark", "name": "error", "t_ns": 10, "data": {"message": error}})
    text = "\n".join(json.dumps(x) for x in lines)
    cut = json.dumps({"kind": "frame", "dir": "in", "t_ns": 11, "text": f"token {token}"})
    dirty.write_text(text + "\n" + cut[:-10])  # a writer killed mid-line
    n = len(lines)
    return [1, upgrade + 1, frame + 1, n - 1, n, n + 1], [
        token,
        wrapped,
        ENV_SECRET,
        OPAQUE,
        TICKET,
    ]


async def test_scrub_check_finds_and_scrub_removes_what_the_recorder_did_not_know(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QA_SERVICE_API_KEY", ENV_SECRET)
    clean, dirty = tmp_path / "clean.jsonl", tmp_path / "shared" / "dirty.jsonl"
    dirty.parent.mkdir()
    await record_one_run(clean)
    token = mint_token("someone", key="another-secret-for-qa", now=time.time())
    leaked_lines, secrets = leak(clean, dirty, token)
    before = dirty.read_bytes()

    assert main(["scrub", "--check", str(clean)]) == 0
    assert capsys.readouterr().out == ""
    assert main(["scrub", "--check", str(dirty.parent)]) == 1
    out = capsys.readouterr().out
    shown = ", ".join(map(str, leaked_lines))
    assert out == f"{dirty}: would change: token or secret on lines {shown}\n"
    assert dirty.read_bytes() == before  # --check writes nothing
    assert not any(s in out for s in secrets)

    assert main(["scrub", str(dirty)]) == 0
    assert capsys.readouterr().out.startswith(f"{dirty}: cleaned: token or secret on lines 1, ")
    after = dirty.read_bytes()
    assert not [s for s in secrets if s.encode() in after]
    assert main(["scrub", "--check", str(dirty)]) == 0  # scrubbing twice changes nothing

    old, new = before.split(b"\n"), after.split(b"\n")
    assert len(old) == len(new)
    assert [i + 1 for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b] == leaked_lines
    was, now = load_cassette(tmp_path / "clean.jsonl"), load_cassette(dirty)
    assert len(now.records) == len(was.records) + 2  # the two marks added; every record kept
    assert [w.lineno for w in now.warnings] == [len(new)]  # only the cut last line
    assert now.header.endpoint.startswith(was.header.endpoint + "?token=eyJ…#")
    assert '["Authorization","Bearer <secret>"]' in new[-3].decode()  # the refusal's headers
    assert "?ticket=\\u2026#" in new[-2].decode()  # the error text: the ticket's fingerprint


def test_scrub_names_a_directory_without_notebooks_or_cassettes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes.txt").write_text("nothing here")
    assert main(["scrub", "--check", str(tmp_path)]) == 2
    assert f"{tmp_path}: no notebooks (*.ipynb) or cassettes (*.jsonl) found" in (
        capsys.readouterr().err
    )


def test_lines_that_would_not_survive_a_round_trip_are_scrubbed_as_text() -> None:
    from netra_diag.cli.scrub_cassette import scrub_cassette_bytes

    token = mint_token("u1", key=LOCAL_DEV_SECRET, now=time.time())
    raw = (
        f'{{"kind":"frame","t_ns":1,"wall":NaN,"text":"{token}"}}\n'
        f'{{"kind":"mark","name":"x","name":"y","t_ns":2,"data":{{"m":"{token}"}}}}\n'
    ).encode()
    cleaned, lines = scrub_cassette_bytes(raw, ())
    assert lines == [1, 2] and token.encode() not in cleaned
    first, second, _ = cleaned.split(b"\n")
    assert b'"wall":NaN,' in first and first.endswith(b'"}')  # NaN kept, not rewritten
    assert b'"name":"x","name":"y"' in second  # both keys kept
    assert b"eyJ\\u2026#" in first  # the fingerprint, as the writer escapes it


def test_a_cassette_still_being_recorded_is_left_as_it_was(tmp_path: Path) -> None:
    from netra_diag.cli.scrub_cassette import scrub_cassette
    from netra_diag.errors import RecordingError
    from netra_diag.recording import Recorder

    path = tmp_path / "live.jsonl"
    rec = Recorder(path, endpoint="ws://127.0.0.1:9/ws", started_wall=time.time())
    rec.frame("in", json.dumps({"type": "x", "api_key": "sk_live_1234567890"}), t_ns=1, wall=None)

    class WhileRecording(tuple[str, ...]):
        """The secrets scrub looks for; looking for them is when the recorder writes a line."""

        def __iter__(self):  # type: ignore[no-untyped-def]
            rec.mark("ping_rtt", t_ns=2, wall=None, data={"rtt_ms": 1.0})
            return super().__iter__()

    with pytest.raises(RecordingError) as caught:
        scrub_cassette(path, WhileRecording())
    assert str(caught.value).startswith(
        f"{path}: grew while it was scrubbed (still being recorded?)"
    )
    rec.mark("close", t_ns=3, wall=None, data={"code": 1000})
    rec.close()
    names = [x.get("name") for x in map(json.loads, path.read_text().splitlines())]
    assert names[-2:] == ["ping_rtt", "close"]  # nothing the recorder wrote was lost
    assert "sk_live_1234567890" in path.read_text()


def test_crlf_line_endings_are_kept_on_scrubbed_lines() -> None:
    from netra_diag.cli.scrub_cassette import scrub_cassette_bytes

    token = mint_token("u1", key=LOCAL_DEV_SECRET, now=time.time())
    raw = f'{{"kind":"header"}}\r\n{{"kind":"mark","name":"e","data":{{"m":"{token}"}}}}\r\n'
    cleaned, lines = scrub_cassette_bytes(raw.encode(), ())
    assert lines == [2] and token.encode() not in cleaned
    assert cleaned.count(b"\r\n") == 2 and cleaned.endswith(b"}}\r\n")
