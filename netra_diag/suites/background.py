"""Run a function on the second core in a forked child, for work whose inputs are already loaded
or are sent to it as the parent goes.

A triage of a large report is CPU-bound Python, and one process uses one core. Some of the work
has a small result and needs little from the parent: checking the document with expat while the
parent reads it, signing failures as the parent reads them. Forking gives the child what is
loaded already for free (copy-on-write, no re-import); what the parent finds later it sends
(``send``), and the result travels back as ``marshal`` data. What is sent goes through memory
shared with the child, with only a notice through a pipe: a pipe holds 64 KiB, and a parent that
sends megabytes through one waits for the child, busy with earlier messages, to read them. The
result comes back the same way once the parent has said it sends no more (``close_inbox``), so
that a child done before the parent asks for its result does not wait, blocked on a full pipe,
for the parent to read it.
Fork early: after a fork every page either process writes is copied, so a child forked when the
parent's heap is large makes the parent's next passes over it slower.

``ForkedCall`` falls back to calling the function in the parent, at ``result()``, wherever forking
is unsafe or impossible: no ``os.fork`` (Windows), or other threads running (a forked child
would inherit locks they hold). A child that fails, for whatever reason, yields ``None`` and the
caller does the work itself; the child never runs the parent's ``atexit`` handlers or flushes
its buffers (``os._exit``).
"""

from __future__ import annotations

import contextlib
import marshal
import mmap
import os
import signal
import struct
import threading
import warnings
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["ForkedCall", "can_fork"]

# Each message sent to the child: where it starts in the shared memory, and its length.
_NOTICE = struct.Struct("<QQ")
_IN_PIPE = (1 << 64) - 1  # as a start: the message follows the notice in the pipe
_NICER = 5
_AHEAD = 4 << 20  # how far ahead of the parent's writes the child touches the shared memory


def can_fork() -> bool:
    """Whether forking this process now is safe (see the module docstring)."""
    return hasattr(os, "fork") and threading.active_count() == 1


class ForkedCall:
    """``function(*args)`` in a forked child, started at once when ``fork`` is true (and it is
    safe); ``result()`` waits for it. Results must be ``marshal``-able.

    With ``inbox``, the function is called as ``function(messages, *args)``: ``messages``
    iterates over what the parent ``send``s (``marshal``-able values), until ``close_inbox()``
    or ``result()``.
    ``inbox_bytes`` is how much the messages are expected to take, marshalled: that much
    memory is shared with the child for them (any beyond goes through the pipe).
    """

    def __init__(
        self,
        function: Callable[..., Any],
        *args: Any,
        fork: bool = True,
        inbox: bool = False,
        inbox_bytes: int = 0,
    ) -> None:
        self._function, self._args = function, args
        self._inbox = inbox
        self._shared: mmap.mmap | None = None
        self._used = 0
        self._pid = 0
        self._read = self._write = -1
        self._queued: list[Any] = []  # messages, when no child runs
        self._closed = False  # close_inbox() was called: what is sent after is dropped
        self.forked = False
        if fork and can_fork():
            self._start(inbox_bytes)
            self.forked = True
            self._args = ()  # the child has them; the parent may free them

    def _start(self, inbox_bytes: int) -> None:
        result_read, result_write = os.pipe()
        inbox_read, inbox_write = os.pipe() if self._inbox else (-1, -1)
        if self._inbox and inbox_bytes > 0:
            with contextlib.suppress(OSError, ValueError):
                self._shared = mmap.mmap(-1, inbox_bytes)  # anonymous: shared across fork
        with warnings.catch_warnings():
            # Python 3.12+ warns when it sees other threads at a fork; can_fork() has made sure
            # no Python thread runs, and the child only runs this module's code and exits.
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:  # the child
            try:
                # Below the parent, which is what the caller waits for: when the cores are
                # busy, the parent keeps one and the children share the rest.
                with contextlib.suppress(OSError):
                    os.nice(_NICER)
                os.close(result_read)
                args = self._args
                inbox = None
                if self._inbox:
                    os.close(inbox_write)
                    inbox = _Inbox(inbox_read, self._shared)
                    args = (inbox, *args)
                payload = marshal.dumps(self._function(*args))
                shared = self._shared
                # The parent writes no more into the shared memory once the inbox is closed
                # (read to its end): from then on the result may go there, from the start.
                drained = inbox is not None and inbox.drained
                if drained and shared is not None and len(payload) <= len(shared):
                    shared[: len(payload)] = payload
                    _write_all(result_write, _NOTICE.pack(0, len(payload)))
                    payload = b""
                if payload:
                    _write_all(result_write, _NOTICE.pack(_IN_PIPE, len(payload)))
                    _write_all(result_write, payload)
            finally:
                os._exit(0)
        os.close(result_write)
        if self._inbox:
            os.close(inbox_read)
        self._pid, self._read, self._write = pid, result_read, inbox_write

    def send(self, message: Any) -> None:
        """Hand ``message`` to the function (only with ``inbox``)."""
        if not self.forked:
            if not self._closed:
                self._queued.append(message)
            return
        if self._write < 0:
            return  # the child is gone; result() will say so
        payload = marshal.dumps(message)
        shared = self._shared
        try:
            if shared is not None and self._used + len(payload) <= len(shared):
                shared[self._used : self._used + len(payload)] = payload
                _write_all(self._write, _NOTICE.pack(self._used, len(payload)))
                self._used += len(payload)
            else:
                _write_all(self._write, _NOTICE.pack(_IN_PIPE, len(payload)))
                _write_all(self._write, payload)
        except OSError:  # the child died: stop sending
            self._close_inbox()

    def close_inbox(self) -> None:
        """Send no more: the function's ``messages`` end, and the child may finish while this
        process goes on (``result`` does this too)."""
        self._closed = True
        if self.forked:
            self._close_inbox()

    def result(self) -> Any | None:
        """The function's result; None if the child failed. Runs the function here if no child
        was started."""
        if not self.forked:
            if self._inbox:
                return self._function(iter(self._queued), *self._args)
            return self._function(*self._args)
        if not self._pid:
            return None  # already read, or cancelled
        self._close_inbox()
        chunks: list[bytes] = []
        try:
            while chunk := os.read(self._read, 1 << 20):
                chunks.append(chunk)
            payload = self._payload(b"".join(chunks))
        finally:
            self._reap()
        if payload is None:
            return None
        try:
            return marshal.loads(payload)
        except (EOFError, ValueError, TypeError):
            return None

    def _payload(self, received: bytes) -> bytes | memoryview | None:
        """The marshalled result the child's notice points to (None if the child failed)."""
        if len(received) < _NOTICE.size:
            return None
        start, size = _NOTICE.unpack_from(received)
        if start == _IN_PIPE:
            rest = memoryview(received)[_NOTICE.size :]
            return rest if len(rest) == size else None
        shared = self._shared
        if shared is None or start + size > len(shared):
            return None
        return shared[start : start + size]

    def cancel(self) -> None:
        """Stop the child, if it still runs (a caller that no longer needs the result)."""
        if self._pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._pid, signal.SIGKILL)
            self._reap()

    def _close_inbox(self) -> None:
        if self._write >= 0:
            with contextlib.suppress(OSError):
                os.close(self._write)
            self._write = -1

    def _reap(self) -> None:
        pid, self._pid = self._pid, 0
        self._close_inbox()
        if self._shared is not None:
            self._shared.close()
            self._shared = None
        with contextlib.suppress(OSError):
            os.close(self._read)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


class _Inbox:
    """What the parent sends, in order (in the child): each notice says where the message lies
    in the shared memory, or that it follows in the pipe. ``drained`` once the parent closed
    its end and every message was read.

    The child also touches the shared pages a little ahead of where the parent writes next:
    the first touch of a page of shared memory is what allocates and zeroes it, and the parent's
    own first write to a page touched already costs less (on Linux, about a third of what the
    parent spent copying 24 MB of failures in, for 100k cases) — in the child, while it waits
    for the next message anyway."""

    def __init__(self, fd: int, shared: mmap.mmap | None) -> None:
        self._fd, self._shared = fd, shared
        self.drained = False
        self._touched = 0  # the shared memory before this offset was touched

    def __iter__(self) -> Iterator[Any]:
        shared = self._shared
        self._touch_ahead(0, _AHEAD)
        with os.fdopen(self._fd, "rb") as pipe:
            while notice := pipe.read(_NOTICE.size):
                start, size = _NOTICE.unpack(notice)
                if start == _IN_PIPE or shared is None:
                    yield marshal.loads(pipe.read(size))
                else:
                    message = shared[start : start + size]
                    self._touch_ahead(start + size, max(_AHEAD, 2 * size))
                    yield marshal.loads(message)
        self.drained = True

    def _touch_ahead(self, end: int, ahead: int) -> None:
        """Read one byte of each page from ``end`` to ``end + ahead`` not touched yet."""
        shared = self._shared
        if shared is None:
            return
        stop = min(end + ahead, len(shared))
        if stop > self._touched:
            for offset in range(max(self._touched, end), stop, mmap.PAGESIZE):
                shared[offset]  # (reading it is the touch)
            self._touched = stop
