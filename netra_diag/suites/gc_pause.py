"""No cyclic garbage collection while a run is read and triaged.

Reading a 100k-case report allocates a few objects per testcase and frees almost none, which is
exactly what makes CPython's cyclic collector run again and again over everything read so far: a
tenth of the time of a whole triage. Nothing the suite code builds forms a reference cycle (rows
are tuples, records are frozen dataclasses holding strings and tuples), so those passes find
nothing; reference counting still frees everything as usual. The collector is switched off for
the duration and back on after, unless the caller had switched it off already.

Switching it back on is not enough by itself: everything allocated meanwhile still sits in the
youngest generation, whose allocation count is long past its threshold, so the next allocation
would run one collection over all of it (about 50 ms after a 100k-case triage) to find, again,
nothing. Instead the objects are handed to the oldest generation at once, where they would end
up anyway after surviving two collections: ``gc.freeze()`` moves every tracked object to the
permanent generation and resets the count, ``gc.unfreeze()`` moves them all to the oldest one.
They are looked at by the next full collection, as other long-lived objects are. This is only
done when nothing was frozen before (``gc.get_freeze_count() == 0``): unfreezing would otherwise
hand a caller's frozen objects back to the collector.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["pause_gc"]


@contextmanager
def pause_gc() -> Iterator[None]:
    """Disable the cyclic garbage collector inside the ``with`` block (process-wide)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            if gc.get_freeze_count() == 0:
                gc.freeze()
                gc.unfreeze()
            gc.enable()
