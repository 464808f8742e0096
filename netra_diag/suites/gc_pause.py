"""No cyclic garbage collection while a run is read and triaged.

Reading a 100k-case report allocates a few objects per testcase and frees almost none, which is
exactly what makes CPython's cyclic collector run again and again over everything read so far: a
tenth of the time of a whole triage. Nothing the suite code builds forms a reference cycle (rows
are tuples, records are frozen dataclasses holding strings and tuples), so those passes find
nothing; reference counting still frees everything as usual. The collector is switched off for
the duration and back on after, unless the caller had switched it off already.
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
            gc.enable()
