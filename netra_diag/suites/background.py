"""Run a function on the second core in a forked child, for work whose inputs are already loaded.

A triage of a large report is CPU-bound Python, and one process uses one core. Some of the work
has a small result and needs nothing the parent computes meanwhile: checking the document with
expat while the parent reads it, clustering failures while the parent tallies suites. Forking
after the inputs are loaded gives the child them for free (copy-on-write, no re-import, no
pickling); only the result travels back, through a pipe, as ``marshal`` data.

``ForkedCall`` falls back to calling the function in the parent, at ``result()``, wherever forking
is unsafe or impossible: no ``os.fork`` (Windows), or other threads running (a forked child
would inherit locks they hold). A child that fails, for whatever reason, yields ``None`` and the
caller does the work itself; the child never runs the parent's ``atexit`` handlers or flushes
its buffers (``os._exit``).
"""

from __future__ import annotations

import contextlib
import marshal
import os
import signal
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["ForkedCall", "can_fork"]


def can_fork() -> bool:
    """Whether forking this process now is safe (see the module docstring)."""
    return hasattr(os, "fork") and threading.active_count() == 1


class ForkedCall:
    """``function(*args)`` in a forked child, started at once when ``fork`` is true (and it is
    safe); ``result()`` waits for it. Results must be ``marshal``-able."""

    def __init__(self, function: Callable[..., Any], *args: Any, fork: bool = True) -> None:
        self._function, self._args = function, args
        self._pid = 0
        self._read = -1
        self.forked = False
        if fork and can_fork():
            self._start()
            self.forked = True
            self._args = ()  # the child has them; the parent may free them

    def _start(self) -> None:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child
            try:
                os.close(read)
                payload = marshal.dumps(self._function(*self._args))
                view = memoryview(payload)
                while view:
                    view = view[os.write(write, view) :]
            finally:
                os._exit(0)
        os.close(write)
        self._pid, self._read = pid, read

    def result(self) -> Any | None:
        """The function's result; None if the child failed. Runs the function here if no child
        was started."""
        if not self.forked:
            return self._function(*self._args)
        if not self._pid:
            return None  # already read, or cancelled
        chunks: list[bytes] = []
        try:
            while chunk := os.read(self._read, 1 << 20):
                chunks.append(chunk)
        finally:
            self._reap()
        if not chunks:
            return None
        try:
            return marshal.loads(b"".join(chunks))
        except (EOFError, ValueError, TypeError):
            return None

    def cancel(self) -> None:
        """Stop the child, if it still runs (a caller that no longer needs the result)."""
        if self._pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._pid, signal.SIGKILL)
            self._reap()

    def _reap(self) -> None:
        pid, self._pid = self._pid, 0
        with contextlib.suppress(OSError):
            os.close(self._read)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
