"""The background-thread runner, the configuration's validation and ``netra-diag serve``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from emulator_testkit import golden, scaled, token_for
from websockets.sync.client import connect as sync_connect

from netra_diag.cli import main as cli_main
from netra_diag.emulator import (
    AuthMode,
    EmulatorConfig,
    FaultPlan,
    TimingProfile,
    start_in_thread,
)
from netra_diag.errors import UsageError
from netra_diag.events import parse_frame


def test_start_in_thread_serves_synchronous_clients() -> None:
    config = EmulatorConfig(timing=TimingProfile(time_scale=0.0), envelope="e")
    with start_in_thread(config) as svc:
        assert svc.url.startswith("ws://127.0.0.1:")
        assert svc.http_base == svc.url.removesuffix("/ws").replace("ws://", "http://")
        with sync_connect(svc.url, subprotocols=golden(token_for("sync-user"))) as ws:
            assert json.loads(ws.recv(timeout=scaled(5)))["type"] == "connection_established"
            assert svc.active_connections == 1
            ws.send(json.dumps({"type": "user_message", "payload": {"content": "hi"}}))
            while True:
                frame = json.loads(ws.recv(timeout=scaled(5)))
                if frame.get("event") == "agent_completed":
                    break
        assert svc.runs_started == 1
        assert svc.events_sent >= 3
        assert svc.fault_log == []
    assert "stopped" in repr(svc)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"host": "0.0.0.0"}, "non-loopback"),
        ({"host": "10.1.2.3"}, "non-loopback"),
        ({"envelope": "f"}, "unknown envelope"),
        ({"auth": "open"}, "unknown auth mode"),
        ({"auth_close_code": 1000}, "1008 or 1011"),
        ({"idle_heartbeat_s": 0}, "idle_heartbeat_s"),
        ({"port": 70000}, "port"),
        ({"tools": ()}, "tools"),
    ],
)
def test_config_validation(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        EmulatorConfig(**kwargs)


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost"])
def test_the_service_listens_on_an_ip_literal_or_a_name(host: str) -> None:
    # An IP literal gets the service's own listening socket (requests timed by the kernel,
    # ``live.stamping``); a name is left to asyncio. Both serve a whole run.
    config = EmulatorConfig(host=host, timing=TimingProfile(time_scale=0.0))
    try:
        svc = start_in_thread(config)
    except OSError as exc:  # pragma: no cover - a machine without IPv6 on loopback
        pytest.skip(f"cannot listen on {host}: {exc}")
    with svc, sync_connect(svc.url, subprotocols=golden(token_for("u"))) as ws:
        assert json.loads(ws.recv(timeout=scaled(5)))["type"] == "connection_established"
        ws.send(json.dumps({"type": "user_message", "payload": {"content": "hi"}}))
        while parse_frame(ws.recv(timeout=scaled(5))).type != "agent_completed":
            pass


def test_config_accepts_loopback_and_strings() -> None:
    assert EmulatorConfig(host="::1").host == "::1"
    demo: Any = "demo"  # a plain string from a CLI or a notebook is accepted too
    assert EmulatorConfig(host="localhost", auth=demo).auth is AuthMode.DEMO
    assert EmulatorConfig(host="0.0.0.0", allow_remote=True).allow_remote
    assert "secret" not in repr(EmulatorConfig())
    with pytest.raises(UsageError, match="unknown phase"):
        TimingProfile(fixed_delays_ms={"thinking": 10})
    with pytest.raises(UsageError, match="thinking_steps"):
        TimingProfile(thinking_steps=(0, 1))
    assert TimingProfile(fixed_delays_ms={"think_ms": 10}).fixed_delays_ms == {"think": 10}


def test_serve_refuses_remote_hosts(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["serve", "--host", "0.0.0.0", "--port", "0"]) == 2
    assert "non-loopback" in capsys.readouterr().err
    assert cli_main(["serve", "--faults", "nonsense", "--port", "0"]) == 2


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_serve_runs_until_ctrl_c(tmp_path: Path, stop_signal: signal.Signals) -> None:
    log = tmp_path / "faults.jsonl"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("JWT_SECRET_KEY", None)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "netra_diag",
            "serve",
            "--port",
            "0",
            "--auth",
            "strict",
            "--faults",
            "drop_event",
            "--time-scale",
            "0",
            "--fault-log",
            str(log),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert "listening on ws://127.0.0.1:" in first
        url = first.rsplit(" ", 1)[1].strip()
        lines = [proc.stdout.readline() for _ in range(5)]
        text = "".join(lines)
        assert "auth: strict" in text
        assert "netra-diag token mint --sub u1" in text
        assert "drop_event" in text
        with sync_connect(url, subprotocols=golden(token_for("cli-user"))) as ws:
            assert json.loads(ws.recv(timeout=scaled(5)))["type"] == "connection_established"
            ws.send(json.dumps({"type": "user_message", "payload": {"content": "hi"}}))
            deadline = time.monotonic() + scaled(5)
            while time.monotonic() < deadline and not log.exists():
                time.sleep(0.05)
        proc.send_signal(stop_signal)
        out, err = proc.communicate(timeout=scaled(10))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "stopped" in err
    assert json.loads(log.read_text().splitlines()[0])["fault"] == "drop_event"
    from netra_diag.tokens import LOCAL_DEV_SECRET

    assert LOCAL_DEV_SECRET not in first + text + out + err


def test_fault_plan_from_cli_syntax() -> None:
    plan = FaultPlan.parse("leak_other_user@0.1,reject_auth")
    assert plan.describe() == "leak_other_user@0.1,reject_auth"


def test_serve_options_for_handshake_and_transports() -> None:
    import argparse

    from netra_diag.cli.serve import build_config

    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    from netra_diag.cli import serve as serve_cli

    serve_cli.register(sub)
    args = parser.parse_args(["serve", "--handshake", "--transports", "ticket, header"])
    config, _ = build_config(args)
    assert config.handshake is True
    assert config.transports == frozenset({"ticket", "header"})
    assert build_config(parser.parse_args(["serve"]))[0].transports is None


def test_serve_refuses_unknown_transports(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["serve", "--transports", "carrier-pigeon", "--port", "0"]) == 2
    assert "transports must name" in capsys.readouterr().err
