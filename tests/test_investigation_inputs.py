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

    with pytest.raises(UsageError, match=r"^recordings: .* holds no cassettes \(\*\.jsonl\)$"):
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
