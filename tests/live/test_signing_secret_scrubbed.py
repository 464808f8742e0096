"""The key a probe or fan-out signs its tokens with never reaches a cassette or the output, even
when a message quotes it and the service echoes it back (docs/cassette-format.md: every secret
given explicitly is replaced by a fingerprint)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from timeouts import scaled

from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode
from netra_diag.emulator import (
    AuthMode,
    EmulatorConfig,
    ThreadedService,
    TimingProfile,
    run_service,
    start_in_thread,
)
from netra_diag.live import Session
from netra_diag.live.fanout import run_fanout
from netra_diag.recording import Recorder
from netra_diag.tokens import get_profile, mint_token

SECRET = "SuperSecretValue-0123456789abcdefXYZ"
TIMING = TimingProfile(time_scale=0, thinking_steps=(1, 1), tool_calls=(1, 1))
SHOWN = json.dumps("<secret …#")[1:-1]  # a fingerprint, as a cassette line holds it


def staging_config() -> EmulatorConfig:
    return EmulatorConfig(auth=AuthMode.STRICT, profile="staging", secret=SECRET, timing=TIMING)


@pytest.fixture(scope="module")
def staging() -> Iterator[ThreadedService]:
    with start_in_thread(staging_config()) as svc:
        yield svc


def test_probe_records_no_signing_secret(
    staging: ThreadedService,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PROBE_SIGNING_SECRET", SECRET)
    path = tmp_path / "s.jsonl"
    argv = ["probe", staging.url, "--sub", "u1", "--profile", "staging"]
    argv += ["--secret-env", "PROBE_SIGNING_SECRET", "--record", str(path), "--json"]
    code = main([*argv, "--message", f"the secret is {SECRET} ok"])
    out = capsys.readouterr().out
    assert code == ExitCode.OK, out
    assert json.loads(out)["auth"]["validated"] is True
    text = path.read_text()
    assert SECRET not in text and SECRET not in out
    # the quoted secret is there, as a fingerprint: out frame and the service's echoes (JSON
    # lines write the ellipsis as an escape)
    assert text.count(SHOWN) >= 2


def assert_no_secret_in(folder: Path, cassettes: int) -> None:
    paths = sorted(folder.glob("*.jsonl"))
    assert len(paths) == cassettes
    for path in paths:
        text = path.read_text()
        assert SECRET not in text, [ln for ln in text.splitlines() if SECRET in ln][:2]
        assert SHOWN in text


async def test_fanout_records_no_signing_secret(tmp_path: Path) -> None:
    prof = get_profile("staging")

    def token_for(user: str) -> str:
        return mint_token(user, key=SECRET, now=time.time(), profile=prof)

    async with run_service(staging_config()) as svc:
        result = await run_fanout(
            svc.url,
            users=3,
            token_for=token_for,
            secrets=(SECRET,),
            message_for=lambda user, run: f"{user} {run} quotes {SECRET}",
            record_dir=tmp_path,
            progress=False,
            run_timeout=scaled(10),
        )
    assert result.runs_completed == 3, result.summary()
    assert_no_secret_in(tmp_path, cassettes=3)


async def test_session_secrets_reach_a_recorder_the_caller_owns(tmp_path: Path) -> None:
    token = mint_token("u-own", key=SECRET, now=time.time(), profile=get_profile("staging"))
    path = tmp_path / "own.jsonl"
    async with run_service(staging_config()) as svc:
        with Recorder(path, endpoint=svc.url, started_wall=time.time()) as rec:
            async with Session.connect(
                svc.url, token=token, record=rec, secrets=(SECRET,)
            ) as session:
                await session.run(f"quoting {SECRET}", timeout=scaled(10))
    assert_no_secret_in(tmp_path, cassettes=1)
