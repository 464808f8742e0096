"""``investigation.analyse``'s inputs: a mistyped folder is an error, not an empty investigation."""

from __future__ import annotations

from pathlib import Path

import pytest

from netra_diag import investigation
from netra_diag.errors import ReportParseError


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
