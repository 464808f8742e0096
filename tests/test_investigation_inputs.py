"""``investigation.analyse``'s inputs: a mistyped folder is an error, not an empty investigation."""

from __future__ import annotations

from pathlib import Path

import pytest

from netra_diag import investigation
from netra_diag.cli.exit_codes import ExitCode
from netra_diag.errors import ReportParseError, UsageError
from netra_diag.report import run_report


def test_a_missing_recordings_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ReportParseError, match="no such directory \\(expected recordings\\)"):
        investigation.analyse(tmp_path / "nope", results=[])


def test_an_empty_recordings_folder_is_refused_naming_the_parameter(tmp_path: Path) -> None:
    from netra_diag.errors import UsageError

    with pytest.raises(UsageError, match=r"^recordings: .*: no cassettes \(\*\.jsonl\) found$"):
        investigation.analyse(tmp_path, results=[])


async def test_a_truncated_recording_is_a_warning_and_a_caveat(tmp_path: Path) -> None:
    config = investigation.CollectConfig(users=2, runs=1, faults="", time_scale=0.1)
    collection = await investigation.collect(tmp_path / "rec", config)
    cassette = sorted(collection.record_dir.glob("*fanout*.jsonl"))[0]
    cassette.write_bytes(cassette.read_bytes()[:1500])
    inv = investigation.analyse(collection.record_dir, results=[])
    assert len(inv.warnings) == 1 and cassette.name in inv.warnings[0]
    assert f"1 recording damaged ({cassette.name} line " in inv.headline
    assert inv.to_summary()["warnings"] == inv.warnings


def test_a_named_secret_variable_that_is_unset_is_never_a_silent_fallback() -> None:
    from netra_diag.errors import UsageError

    env = {"JWT_SECRET_KEY": "j" * 36}
    with pytest.raises(UsageError, match=r"\$NO_SUCH_VAR_QA is not set"):
        investigation.token_factory(profile="staging", secret_env="NO_SUCH_VAR_QA", environ=env)
    with pytest.raises(UsageError, match=r"\$NO_SUCH_VAR_QA is not set"):
        investigation.signing_secret("staging", "NO_SUCH_VAR_QA", {})
    local = investigation.signing_secret("local", "NO_SUCH_VAR_QA", env)
    assert local.source == "$JWT_SECRET_KEY" and "$NO_SUCH_VAR_QA is not set" in local.warning
    assert investigation.signing_secret("staging", "QA_KEY", {"QA_KEY": "q" * 54}).warning == ""
    assert "q" * 54 not in repr(
        investigation.signing_secret("local", "QA_KEY", {"QA_KEY": "q" * 54})
    )


async def test_every_check_counts_the_same_sessions(tmp_path: Path) -> None:
    config = investigation.CollectConfig(users=2, runs=1, faults="", time_scale=0.1)
    collection = await investigation.collect(tmp_path / "rec", config)
    inv = investigation.analyse(collection.record_dir, results=[])
    by_name = {c.name: c.detail for c in inv.checks}
    sessions = len(inv.contracts)
    assert by_name["infrastructure"].startswith(f"{sessions} of {sessions} sessions connected")
    assert by_name["auth"].endswith(f"on all {sessions} sessions")


@pytest.mark.parametrize(("auth", "passes"), [("strict", True), ("demo", False)])
async def test_a_fanout_folder_without_a_summary_is_judged_from_its_cassettes(
    tmp_path: Path, auth: str, passes: bool
) -> None:
    # `netra-diag fanout --record DIR` writes cassettes only (no collection.json): the checks a
    # summary would feed must not vanish, and a DEMO-mode recording must not pass.
    import time

    from netra_diag.emulator import AuthMode, EmulatorConfig, TimingProfile, run_service
    from netra_diag.live import run_fanout
    from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token

    config = EmulatorConfig(auth=AuthMode(auth), timing=TimingProfile(time_scale=0.1))
    async with run_service(config) as svc:
        await run_fanout(
            svc.url,
            users=3,
            token_for=lambda user: mint_token(user, key=LOCAL_DEV_SECRET, now=time.time()),
            record_dir=tmp_path / "rec",
            progress=False,
        )
    inv = investigation.analyse(tmp_path / "rec", results=[])
    checks = {c.name: c for c in inv.checks}
    assert list(checks) == ["infrastructure", "auth", "contracts", "isolation", "sla"]
    assert checks["infrastructure"].passed
    assert checks["auth"].passed is passes
    if passes:
        assert checks["isolation"].status == "pass"
    else:
        assert "auth bypassed on 3 of 3 sessions" in inv.headline
        assert checks["isolation"].status == "not verified"  # one server id for every user
        assert inv.exit_code == 3


async def _fanout(folder: Path, users: int, *, key: str | None = None) -> None:
    """``netra-diag fanout --record DIR`` against the strict reference service: cassettes only."""
    import time

    from netra_diag.emulator import AuthMode, EmulatorConfig, TimingProfile, run_service
    from netra_diag.live import run_fanout
    from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token

    config = EmulatorConfig(auth=AuthMode.STRICT, timing=TimingProfile(time_scale=0.1))
    signing = key or LOCAL_DEV_SECRET
    async with run_service(config) as svc:
        await run_fanout(
            svc.url,
            users=users,
            token_for=lambda user: mint_token(user, key=signing, now=time.time()),
            record_dir=folder,
            progress=False,
        )


async def test_own_recordings_are_never_graded_against_the_bundled_suite(tmp_path: Path) -> None:
    # `report investigation_report -p recordings DIR` without results: the bundled example's
    # failures are someone else's and must not fail the user's CI (exit 7).
    await _fanout(tmp_path / "rec", users=2)
    inv = investigation.analyse(tmp_path / "rec")
    assert inv.triage is None and inv.exit_code == 0
    suite = {c.name: c for c in inv.checks}["new_failures"]
    assert suite.status == "not verified" and suite.detail.startswith("no results given")
    # "none" leaves the check out; given results are triaged as before.
    assert investigation.investigation_suite("none", "") == ([], None)
    assert investigation.investigation_suite("", "") == (None, None)
    assert investigation.investigation_suite("a.xml", "") == (["a.xml"], None)
    skipped = investigation.analyse(tmp_path / "rec", results=[])
    assert "new_failures" not in {c.name for c in skipped.checks}


async def test_the_demos_own_recordings_keep_the_bundled_suite(tmp_path: Path) -> None:
    config = investigation.CollectConfig(users=2, runs=1, faults="", time_scale=0.1)
    collection = await investigation.collect(tmp_path / "rec", config)
    inv = investigation.analyse(collection.record_dir)
    assert inv.triage is not None
    assert {c.name: c for c in inv.checks}["new_failures"].status == "FAIL"


async def test_a_refused_token_in_cassettes_fails_auth(tmp_path: Path) -> None:
    await _fanout(tmp_path / "rec", users=2, key="w" * 40)  # not the service's secret
    inv = investigation.analyse(tmp_path / "rec", results=[])
    checks = {c.name: c for c in inv.checks}
    assert checks["auth"].status == "FAIL"
    assert checks["auth"].detail.startswith(
        "token rejected on 2 of 2 sessions (closed 1008 'Authentication failed'"
    )
    # It reached the service: the token failed, not the network (exit 3, not 9).
    assert checks["infrastructure"].passed and inv.exit_code == 3
    assert inv.headline.startswith("token rejected on 2 of 2 sessions")


def _cassette(folder: Path, name: str, *records: dict[str, object]) -> None:
    import json

    header = {
        "kind": "header",
        "format": "netra-cassette",
        "version": 1,
        "endpoint": "ws://127.0.0.1:9/ws",
        "transport": "header",
        "user": name,
        "started_wall": 1.0,
        "labels": {},
    }
    lines = [header, *({"wall": 1.0, **r} for r in records)]
    folder.mkdir(exist_ok=True)
    text = "".join(json.dumps(line) + "\n" for line in lines)
    (folder / f"{name}.jsonl").write_text(text, "utf-8")


def test_an_upgrade_refused_with_401_fails_auth(tmp_path: Path) -> None:
    start = {"kind": "mark", "name": "connect_start", "t_ns": 1, "data": {"attempt": 1}}
    refused = {"status": 401, "body": "invalid token", "headers": []}
    _cassette(
        tmp_path,
        "user-a",
        start,
        {"kind": "mark", "name": "handshake_rejected", "t_ns": 2, "data": refused},
    )
    inv = investigation.analyse(tmp_path, results=[])
    checks = {c.name: c for c in inv.checks}
    assert checks["auth"].status == "FAIL"
    assert checks["auth"].detail.startswith("token rejected on 1 of 1 session (HTTP 401")
    assert checks["infrastructure"].passed


def test_no_session_connected_says_auth_was_not_judged(tmp_path: Path) -> None:
    start = {"kind": "mark", "name": "connect_start", "t_ns": 1, "data": {"attempt": 1}}
    error = {"kind": "mark", "name": "error", "t_ns": 2, "data": {"message": "refused"}}
    _cassette(tmp_path, "user-a", start, error)
    inv = investigation.analyse(tmp_path, results=[])
    checks = {c.name: c for c in inv.checks}
    assert checks["auth"].status == "not verified"
    assert checks["auth"].detail.startswith("no session connected: auth not judged")
    assert not checks["infrastructure"].passed and inv.exit_code == 9


def test_sessions_without_agent_events_say_why_the_contract_failed(tmp_path: Path) -> None:
    for user in ("user-a", "user-b"):
        established = {"type": "connection_established", "data": {"user_id": user}}
        upgrade = {"kind": "mark", "name": "upgrade_done", "t_ns": 1, "data": {"status": 101}}
        frame = {
            "kind": "frame",
            "dir": "in",
            "t_ns": 2,
            "type": "connection_established",
            "text": __import__("json").dumps(established),
        }
        # Each asked for a run (a chat message went out) and got no agent event back.
        message = {"type": "user_message", "payload": {"content": "hi"}}
        sent = {
            "kind": "frame",
            "dir": "out",
            "t_ns": 3,
            "type": "user_message",
            "text": __import__("json").dumps(message),
        }
        _cassette(tmp_path, user, upgrade, frame, sent)
    inv = investigation.analyse(tmp_path, results=[])
    contracts = {c.name: c for c in inv.checks}["contracts"]
    assert contracts.detail == "2 of 2 sessions broke the event contract (no agent events in 2)"


async def test_collecting_again_into_a_folder_replaces_the_earlier_collection(
    tmp_path: Path,
) -> None:
    # A second, smaller run into the same folder: the first run's extra users' cassettes were
    # read as this run's (4 fan-out users analysed where 2 ran).
    out = tmp_path / "rec"
    first = investigation.CollectConfig(users=4, runs=1, faults="", time_scale=0.1)
    await investigation.collect(out, first)
    second = investigation.CollectConfig(users=2, runs=1, faults="", time_scale=0.1)
    collection = await investigation.collect(out, second)
    assert len(list(out.glob("*fanout*.jsonl"))) == 2
    assert collection.fanout["users"] == 2


def test_a_folder_that_holds_no_collection_is_left_as_it_is(tmp_path: Path) -> None:
    from netra_diag.investigation.collect import _prepare_dir

    other = tmp_path / "notes.txt"
    other.write_text("mine\n")
    assert _prepare_dir(tmp_path) == tmp_path
    assert other.exists()
    # Someone else's cassettes are refused, not mixed with this collection (nor overwritten).
    keep = tmp_path / "someone-elses.jsonl"
    keep.write_text("{}\n")
    with pytest.raises(
        UsageError, match=r"holds cassettes of no earlier collection \(1: someone-elses.jsonl\)"
    ):
        _prepare_dir(tmp_path)
    assert keep.read_text() == "{}\n"


async def test_one_user_leaves_isolation_not_verified_not_failed(tmp_path: Path) -> None:
    from netra_diag.report import exit_code_for

    config = investigation.CollectConfig(users=1, runs=1, faults="", time_scale=0.1)
    collection = await investigation.collect(tmp_path / "rec", config)
    inv = investigation.analyse(collection.record_dir, results=[])
    by_name = {c.name: c for c in inv.checks}
    isolation = by_name["isolation"]
    assert isolation.status == "not verified" and "cannot judge" in isolation.detail
    assert exit_code_for([isolation]) == 0
    assert by_name["infrastructure"].detail == (
        "2 of 2 sessions connected (1 fan-out user and the agent turn)"
    )
    # A pass on two runs proves little: the headline says so, not only the SLA's detail.
    weak = len(inv.sla.weak_passes)
    assert weak and inv.headline.endswith(
        f"; {weak} SLA checks passed on too few samples to mean much"
    )


def test_a_fanout_summary_without_server_user_ids_leaves_auth_not_verified() -> None:
    from netra_diag.investigation.analyse import _auth_check

    collection = {"fanout_users": [{"connected": True, "user": "u1", "server_user_id": None}]}
    check = _auth_check(collection)
    assert check.status == "not verified"
    assert check.detail == "auth not judged on 1 of 1 session: no server user id reported"


async def test_sessions_that_asked_for_no_run_break_no_contract(tmp_path: Path) -> None:
    from netra_diag.report import exit_code_for

    config = investigation.CollectConfig(users=2, runs=0, faults="", time_scale=0.1)
    collection = await investigation.collect(tmp_path / "rec", config)
    inv = investigation.analyse(collection.record_dir, results=[])
    contracts = {c.name: c for c in inv.checks}["contracts"]
    # The agent turn ran and kept the contract; the two idle fan-out sessions are no breach.
    assert contracts.status == "pass", contracts.detail
    assert contracts.detail == (
        "the one session kept the event contract; 2 sessions asked for no agent run"
    )
    assert exit_code_for(inv.checks) == 0


async def test_no_session_asking_for_a_run_leaves_contracts_not_verified(tmp_path: Path) -> None:
    config = investigation.CollectConfig(users=2, runs=0, faults="", time_scale=0.1)
    collection = await investigation.collect(tmp_path / "rec", config)
    (collection.record_dir / "turn-demo-engineer.jsonl").unlink()
    inv = investigation.analyse(collection.record_dir, results=[])
    contracts = {c.name: c for c in inv.checks}["contracts"]
    assert contracts.status == "not verified"
    assert contracts.detail == "not verified: none of the 2 sessions asked for an agent run"


async def test_cassettes_named_one_by_one_are_judged_on_their_own(tmp_path: Path) -> None:
    config = investigation.CollectConfig(users=3, runs=1, faults="", time_scale=0.1)
    collection = await investigation.collect(tmp_path / "rec", config)
    chosen = sorted(collection.record_dir.glob("*fanout*.jsonl"))[:2]
    inv = investigation.analyse(",".join(map(str, chosen)), results=[])
    assert sorted(inv.contracts) == sorted(p.name for p in chosen)
    by_name = {c.name: c for c in inv.checks}
    # Not the folder's fan-out summary (3 users and the turn): these two sessions only.
    assert by_name["infrastructure"].detail.startswith("2 of 2 recorded sessions connected")
    one = investigation.analyse(str(chosen[0]), results=[])
    assert list(one.contracts) == [chosen[0].name]


def test_a_stall_before_the_first_event_is_diagnosed() -> None:
    import pandas as pd

    from netra_diag.investigation.analyse import _injected_frame

    injected = {"fault": "stall", "run_id": "r1", "detail": "stalled 2 s before agent_started"}
    collection = {"injected": [injected], "config": {"faults": "stall@0.05"}}
    findings = pd.DataFrame({"run_id": [], "rule": []})
    metrics = pd.DataFrame(
        {
            "phase": ["first_event", "event_gap", "event_gap"],
            "run": ["r1", "r1", "r1"],
            "value_ms": [2033.5, 371.7, 120.0],
        }
    )
    frame = _injected_frame(None, collection, findings, metrics)
    assert list(frame["detected_by"]) == ["latency: 2034 ms to the first event"]
    assert bool(frame["detected"].iloc[0])


async def test_a_failing_headline_counts_the_checks_apart_from_the_last_failure(
    tmp_path: Path,
) -> None:
    config = investigation.CollectConfig(users=2, runs=1, faults="drop_event@1", time_scale=0.1)
    collection = await investigation.collect(tmp_path / "rec", config)
    inv = investigation.analyse(collection.record_dir, results=[])
    contracts = {c.name: c for c in inv.checks}["contracts"]
    assert not contracts.passed
    assert inv.headline.startswith(f"{contracts.detail} — ")
    assert " required checks pass" in inv.headline and "(3 of" not in inv.headline


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf"), "5", True])
def test_a_run_timeout_must_be_a_positive_number_of_seconds(bad: object) -> None:
    with pytest.raises(UsageError, match="run_timeout"):
        investigation.session_timeout(bad)


def test_a_run_timeout_is_seconds() -> None:
    assert investigation.session_timeout(2) == 2.0


def test_live_session_refuses_a_bad_run_timeout_before_starting_a_service(tmp_path: Path) -> None:
    result = run_report("live_session", {"run_timeout": "0"}, out_dir=tmp_path, html=False)
    assert result.exit_code is ExitCode.USAGE
    executed = result.notebook_path.read_text(encoding="utf-8")
    assert '"service: ' not in executed  # (printed once a service runs: none was started)
    assert "run_timeout must be a positive number of seconds" in result.headline


def test_latency_of_recordings_where_nothing_connected_is_an_infrastructure_failure(
    tmp_path: Path,
) -> None:
    import socket

    from netra_diag.cli import main

    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    recorded = tmp_path / "rec"
    argv = ["fanout", f"ws://127.0.0.1:{port}/ws", "--users", "2", "--record", str(recorded)]
    assert main([*argv, "--timeout", "2", "--no-progress"]) != ExitCode.OK
    result = run_report(
        "latency_sla", {"recordings": str(recorded)}, out_dir=tmp_path / "out", html=False
    )
    assert result.exit_code is ExitCode.INFRASTRUCTURE, result.headline
    (infra,) = [c for c in result.checks if c.name == "infrastructure"]
    assert not infra.passed and "0 of 2" in infra.detail
