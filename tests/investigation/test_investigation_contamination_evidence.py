"""The investigation's isolation check says what made it "contaminated": which sessions got
another user's events. It once read "cross-user isolation: contaminated (1 message sent by
several users was not checked)": the only words after the verdict were about what was *not*
checked, and nothing said where the leak was."""

from __future__ import annotations

from pathlib import Path

from netra_diag import investigation


async def test_contaminated_isolation_names_the_sessions_that_got_foreign_events(
    tmp_path: Path,
) -> None:
    config = investigation.CollectConfig(
        users=3, runs=1, faults="leak_other_user@1.0", time_scale=0.05, seed=4
    )
    collection = await investigation.collect(tmp_path / "rec", config)
    inv = investigation.analyse(collection.record_dir, results=[])
    isolation = {c.name: c for c in inv.checks}["isolation"]
    assert not isolation.passed
    receivers = sorted(
        label
        for label, report in inv.contracts.items()
        if any(str(f.rule) == "foreign_event" for f in report.errors)
    )
    assert receivers, inv.contracts  # the leaks reached someone
    assert isolation.detail.startswith(
        "cross-user isolation: contaminated (another user's events reached "
    ), isolation.detail
    assert all(label in isolation.detail for label in receivers[:3]), isolation.detail
