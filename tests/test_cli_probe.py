"""``netra-diag probe``: live frame lines, summary, exit codes, recording without secrets."""

from __future__ import annotations

import io
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode
from netra_diag.cli.probe_summary import endpoint_report, print_summary
from netra_diag.emulator import (
    AuthMode,
    EmulatorConfig,
    ThreadedService,
    TimingProfile,
    start_in_thread,
)
from netra_diag.redaction import fingerprint
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token

JWT_LIKE = re.compile(r"eyJ[A-Za-z0-9_-]{6,}|ZXlK[A-Za-z0-9_-]{6,}")
FRAME_LINE = re.compile(r"^\+\s+\d+\.\d ms  [←→] \S+")


@pytest.fixture(scope="module")
def service() -> Iterator[ThreadedService]:
    timing = TimingProfile(time_scale=0, tool_calls=(1, 2))
    with start_in_thread(EmulatorConfig(auth=AuthMode.STRICT, timing=timing)) as svc:
        yield svc


def probe(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    """``netra-diag probe ARGV``; the embedded service (no URL) without delays."""
    has_url = any(a.startswith(("ws://", "wss://")) for a in argv)
    code = main(["probe", *([] if has_url else ["--time-scale", "0"]), *argv])
    return code, capsys.readouterr().out


def test_embedded_probe_ok(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = probe(capsys)
    assert code == ExitCode.OK, out
    frames = [line for line in out.splitlines() if FRAME_LINE.match(line)]
    assert any("← agent_started  run=" in line for line in frames)
    assert any("→ user_message" in line for line in frames)
    assert frames[-1].split()[4] == "agent_completed"
    for heading in ("== handshake", "== auth: validated", "== run: completed", "== latency"):
        assert heading in out
    assert "== close: Closed 1000 by the client" in out


def test_demo_mode_is_an_auth_bypass(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = probe(capsys, "--auth", "demo")
    assert code == ExitCode.CONTRACT
    assert "== auth: BYPASS" in out and "synthetic" in out


@pytest.mark.parametrize(
    ("faults", "extra", "expected", "needle"),
    [
        ("disconnect_mid_run", [], ExitCode.CONNECTION, "Closed 1006 without a close frame"),
        ("close_1011_after_first_message", [], ExitCode.CONNECTION, "Closed 1011"),
        ("stall,stall_s=5", ["--timeout", "0.4"], ExitCode.TIMEOUT, "no terminal event"),
        ("reject_auth", ["--transport", "header"], ExitCode.CONTRACT, "1008"),
        ("drop_event", [], ExitCode.CONTRACT, "contract:"),
    ],
)
def test_faults_map_to_exit_codes(
    capsys: pytest.CaptureFixture[str],
    faults: str,
    extra: list[str],
    expected: ExitCode,
    needle: str,
) -> None:
    code, out = probe(capsys, "--faults", faults, *extra)
    if faults == "drop_event" and code != expected:
        # A dropped agent_completed ends in a timeout instead of a contract finding.
        assert code == ExitCode.TIMEOUT, out
        return
    assert code == expected, out
    assert needle in out


def test_json_output_and_recording(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "probe.jsonl"
    code, out = probe(capsys, "--json", "--record", str(path), "--sub", "user-json-1")
    doc = json.loads(out)
    assert code == doc["exit_code"] == 0
    assert doc["auth"]["validated"] is True and doc["auth"]["token_sub"] == "user-json-1"
    assert doc["run"]["outcome"] == "completed" and doc["recording"] == str(path)
    assert doc["latency"]["upgrade_ms"] is not None
    assert doc["close"]["code"] == 1000
    # The main endpoint: connection_established expected, waited for and seen.
    endpoint = doc["endpoint"]
    assert endpoint["path"] == "/ws" and endpoint["sends_connection_established"]
    assert endpoint["awaited_established"] and endpoint["established_seen"]
    text = path.read_text()
    assert not JWT_LIKE.search(text) and not JWT_LIKE.search(out)


def test_probe_a_url_with_each_transport(
    service: ThreadedService, capsys: pytest.CaptureFixture[str]
) -> None:
    for transport in ("header", "subprotocol", "query"):
        code, out = probe(capsys, service.url, "--transport", transport, "--sub", "u-url-1")
        assert code == ExitCode.OK, out
        assert f"transport={transport}" in out


def test_token_from_environment(
    service: ThreadedService, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    token = mint_token("user-env-9", key=LOCAL_DEV_SECRET, now=time.time())
    monkeypatch.setenv("PROBE_TOKEN", token)
    code, out = probe(capsys, service.url, "--token-env", "PROBE_TOKEN", "--json")
    assert code == ExitCode.OK
    assert token not in out and json.loads(out)["auth"]["token_sub"] == "user-env-9"


def test_a_subprotocol_entry_shows_the_tokens_own_fingerprint(
    service: ThreadedService, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The base64url entry is shown with the fingerprint of the token it carries, the one
    ``token inspect`` and the cassette header show, not a fingerprint of its encoding."""
    token = mint_token("user-env-10", key=LOCAL_DEV_SECRET, now=time.time())
    monkeypatch.setenv("PROBE_TOKEN", token)
    argv = (service.url, "--token-env", "PROBE_TOKEN", "--transport", "subprotocol")
    code, out = probe(capsys, *argv)
    assert code == ExitCode.OK, out
    offered = next(line for line in out.splitlines() if "subprotocol offered=" in line)
    assert f"jwt.<base64url {fingerprint(token)}>" in offered, offered
    assert not JWT_LIKE.search(out)


def test_refused_upgrade_and_refused_connection(
    service: ThreadedService, capsys: pytest.CaptureFixture[str]
) -> None:
    factory = service.url.replace("/ws", "/ws/factory")
    code, out = probe(capsys, factory, "--no-token", "--transport", "none")
    assert code == ExitCode.CONTRACT and "HTTP 403" in out
    code, out = probe(capsys, "ws://127.0.0.1:1/ws", "--open-timeout", "2")
    assert code == ExitCode.CONNECTION and "ConnectFailed" in out


def test_usage_errors(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROBE_MISSING", raising=False)
    assert main(["probe", "http://x", "--sub", "u"]) == ExitCode.USAGE
    assert main(["probe", "--token-env", "PROBE_MISSING"]) == ExitCode.USAGE
    assert main(["probe", "--timeout", "0"]) == ExitCode.USAGE
    assert "error:" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        (["--auth", "demo"], "--auth applies"),
        (["--faults", "stall"], "--faults applies"),
        (["--time-scale", "1"], "--time-scale applies"),
        (["--auth", "strict", "--faults", "stall"], "--auth and --faults apply"),
    ],
)
def test_embedded_options_with_a_url_are_a_usage_error(
    service: ThreadedService, capsys: pytest.CaptureFixture[str], extra: list[str], named: str
) -> None:
    """They configure only the embedded service: with a URL they would be silently ignored."""
    code = main(["probe", service.url, "--sub", "u1", *extra])
    out, err = capsys.readouterr()
    assert code == ExitCode.USAGE and out == ""
    assert f"{named} only to the embedded service" in err


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--timeout", "0"], "--timeout must be a positive number of seconds"),
        (["--open-timeout=-1"], "--open-timeout must be a positive number of seconds"),
        (["http://127.0.0.1:1/ws?token=abcdef"], "got http://"),
    ],
)
def test_shared_usage_checks(
    capsys: pytest.CaptureFixture[str], argv: list[str], needle: str
) -> None:
    assert main(["probe", *argv]) == ExitCode.USAGE
    out, err = capsys.readouterr()
    assert out == "" and needle in err and "abcdef" not in err


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--record", "{tmp}"], "is a folder; give a file name"),
        (["--record", "{tmp}/afile/probe.jsonl"], "afile is a file, not a folder"),
        (["--no-token", "--transport", "subprotocol"], "use --transport none (or auto)"),
        (["--no-token", "--transport", "bogus"], "unknown transport 'bogus'"),
        (["--transport", "bad:nope"], "unknown known-bad format 'bad:nope'"),
    ],
)
def test_problems_found_before_the_banner(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], needle: str
) -> None:
    """Usage errors (exit 2, as --help says), before the embedded service starts: nothing on
    stdout, not exit 1 from the recorder once connected."""
    (tmp_path / "afile").write_text("x")
    code = main(["probe", "--time-scale", "0", *(a.format(tmp=tmp_path) for a in argv)])
    out, err = capsys.readouterr()
    assert code == ExitCode.USAGE, err
    assert out == "" and needle in err


def test_session_rejects_a_transport_that_cannot_work() -> None:
    from netra_diag.errors import UsageError
    from netra_diag.live import Session

    with pytest.raises(UsageError, match="needs a token"):
        Session.connect("ws://127.0.0.1:1/ws", token=None, transport="header")
    with pytest.raises(UsageError, match="unknown transport"):
        Session.connect("ws://127.0.0.1:1/ws", token="t" * 20, transport="carrier-pigeon")


def test_auto_failing_everywhere_shows_the_error_frame_once(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Each attempt's close is explained with its own socket's frames, not every attempt's."""
    code, out = probe(capsys, "--faults", "reject_auth")
    assert code == ExitCode.CONTRACT, out
    failed = next(line for line in out.splitlines() if line.startswith("== failed"))
    assert failed.count("AUTH_FAILED") == 1, failed
    assert "auto tried header" in failed


def test_an_oversized_frame_is_a_finding_whenever_it_arrives(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The emulator puts its oversized ``partial_result`` anywhere in the run, after
    ``agent_completed`` too (seeded, so that some of these six get it last). Every run
    exits 3 naming the size; one that got it after the terminal says so as well."""
    from netra_diag.emulator import FaultPlan

    timing = TimingProfile(time_scale=0, tool_calls=(1, 1))
    config = EmulatorConfig(timing=timing, faults=FaultPlan.parse("oversized_frame"), seed=7)
    late = 0
    with start_in_thread(config) as svc:
        for i in range(6):
            code, out = probe(capsys, svc.url, "--sub", f"u-big-{i}", "--message", "hi")
            frames = [line.split()[4] for line in out.splitlines() if FRAME_LINE.match(line)]
            assert code == ExitCode.CONTRACT, out
            assert "over the service's max_message_size" in out, out
            if frames.index("partial_result") > frames.index("agent_completed"):
                late += 1
                assert "arrived after agent_completed" in out, out
    assert late, "no connection got the oversized frame after agent_completed: pick another seed"


def test_an_empty_message_is_a_usage_error_before_connecting(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # (the service answered it with INVALID_MESSAGE: exit 3, a contract verdict on a typo)
    assert main(["probe", "--message", "  "]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert "--message is empty" in err and "embedded" not in err


def test_an_echo_endpoint_is_said_to_run_no_agent(
    service: ThreadedService, capsys: pytest.CaptureFixture[str]
) -> None:
    # /ws/test only acknowledges (PROTOCOL.md §4: an ack is for a type the service does not
    # run): the run ends at the ack, a contract problem, and the reason says no agent runs there
    url = service.url.rsplit("/ws", 1)[0] + "/ws/test"
    code, out = probe(capsys, url, "--transport", "none", "--timeout", "1")
    assert code == ExitCode.CONTRACT
    assert "only acknowledged the user_message" in out and "/ws/test" in out
    # What the probe expected there, and what it saw: said, not left to a missing user id.
    assert "  endpoint /ws/test: the older generation's echo endpoint" in out, out
    assert "connection_established: not expected here, so not waited for; none came" in out


def test_the_summary_says_what_came_of_connection_established() -> None:
    def marks(*names: str, waited: float | None = None) -> list[SimpleNamespace]:
        return [SimpleNamespace(name=n, t=0.0, data={"waited_s": waited}) for n in names]

    echo = endpoint_report("ws://h/ws/test", marks("establish_not_expected"))
    assert not echo["awaited_established"] and not echo["established_seen"]
    # One came after all (the receive path marks it): said so, not "none came".
    late = endpoint_report(
        "ws://h/ws/test", marks("establish_not_expected", "connection_established")
    )
    out = io.StringIO()
    print_summary(_summary_doc(late), out)
    assert "not waited for; one came after all" in out.getvalue(), out.getvalue()
    # The main endpoint: waited for it in vain.
    silent = endpoint_report("ws://h/ws", marks("establish_timeout", waited=5.0))
    out = io.StringIO()
    print_summary(_summary_doc(silent), out)
    assert "connection_established: none within the 5 s establish timeout" in out.getvalue()
    assert "endpoint /ws:" not in out.getvalue()


def _summary_doc(endpoint: dict[str, Any]) -> dict[str, Any]:
    handshake = {"transport": "header", "status": 101, "attempts": [], "offered_subprotocols": []}
    auth = {"bypass": False, "validated": None, "reason": "-"}
    return {
        "url": "ws://h",
        "endpoint": endpoint,
        "handshake": handshake,
        "auth": auth,
        "run": None,
        "contract_problems": [],
        "latency": {},
        "close": None,
    }
