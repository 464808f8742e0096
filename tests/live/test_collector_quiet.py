"""``collector_quiet``: the collector is off inside, and exactly as before outside."""

from __future__ import annotations

import gc

from netra_diag.live.fanout_runtime import collector_quiet


def test_quiet_switches_the_collector_off_and_restores_it() -> None:
    before = (gc.isenabled(), gc.get_threshold(), gc.get_freeze_count())
    with collector_quiet(True) as pauses:
        assert not gc.isenabled()
        gc.collect(0)  # an explicit collection still runs, and is timed
    assert pauses and pauses[-1][0] == 0
    assert (gc.isenabled(), gc.get_threshold(), gc.get_freeze_count()) == before


def test_not_quiet_changes_nothing() -> None:
    before = (gc.isenabled(), gc.get_threshold(), gc.get_freeze_count())
    with collector_quiet(False):
        assert (gc.isenabled(), gc.get_threshold(), gc.get_freeze_count()) == before
    assert (gc.isenabled(), gc.get_threshold(), gc.get_freeze_count()) == before


def test_a_collector_switched_off_by_the_caller_stays_off() -> None:
    gc.disable()
    try:
        with collector_quiet(True):
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
