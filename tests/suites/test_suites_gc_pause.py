"""The collector pause around reading and triage: back as it was, nothing left unreachable."""

from __future__ import annotations

import gc
import weakref

from netra_diag.suites.gc_pause import pause_gc


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


def test_the_collector_is_back_on_and_still_frees_cycles_made_meanwhile() -> None:
    assert gc.isenabled()
    with pause_gc():
        assert not gc.isenabled()
        a, b = _Node(), _Node()
        a.other, b.other = b, a
        gone = weakref.ref(a)
        kept = [[n] for n in range(50_000)]
    assert gc.isenabled()
    # What was allocated meanwhile went to an older generation, not the youngest.
    assert gc.get_count()[0] < gc.get_threshold()[0]
    assert gc.get_freeze_count() == 0
    del a, b
    assert gone() is not None  # a cycle: reference counting alone never frees it
    gc.collect()
    assert gone() is None
    assert len(kept) == 50_000


def test_objects_the_caller_froze_stay_frozen() -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        assert frozen > 0
        with pause_gc():
            _ = [[n] for n in range(1000)]
        assert gc.isenabled()
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()


def test_a_collector_switched_off_by_the_caller_stays_off() -> None:
    gc.disable()
    try:
        with pause_gc():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
