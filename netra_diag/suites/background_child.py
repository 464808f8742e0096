"""The child's side of ``netra_diag.suites.background``: what a forked or spawned helper runs.

The helper calls the function (with an inbox of what the parent sends, when asked for one) and
hands the ``marshal``-ed result back: in the memory shared with the parent once the parent has
closed the inbox, else through the result pipe, after a notice of where it lies and its length.
A spawned helper starts in ``spawned_main``, with what it needs on its command line.
"""

from __future__ import annotations

import contextlib
import importlib
import marshal
import mmap
import os
import struct
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["IN_PIPE", "NOTICE", "serve", "spawned_main", "write_all"]

# Each message sent to the child: where it starts in the shared memory, and its length.
NOTICE = struct.Struct("<QQ")
IN_PIPE = (1 << 64) - 1  # as a start: the message follows the notice in the pipe
_NICER = 5
_AHEAD = 4 << 20  # how far ahead of the parent's writes the child touches the shared memory


def serve(
    function: Callable[..., Any],
    args: tuple[Any, ...],
    result_write: int,
    inbox_read: int,
    shared: mmap.mmap | None,
) -> None:
    """The child's part: call the function, hand its result back (see the module docstring)."""
    # Below the parent, which is what the caller waits for: when the cores are busy, the
    # parent keeps one and the children share the rest.
    with contextlib.suppress(OSError):
        os.nice(_NICER)
    inbox = None
    if inbox_read >= 0:
        inbox = _Inbox(inbox_read, shared)
        args = (inbox, *args)
    payload = marshal.dumps(function(*args))
    # The parent writes no more into the shared memory once the inbox is closed (read to its
    # end): from then on the result may go there, from the start.
    drained = inbox is not None and inbox.drained
    if drained and shared is not None and len(payload) <= len(shared):
        shared[: len(payload)] = payload
        write_all(result_write, NOTICE.pack(0, len(payload)))
        payload = b""
    if payload:
        write_all(result_write, NOTICE.pack(IN_PIPE, len(payload)))
        write_all(result_write, payload)


def spawned_main(argv: list[str]) -> None:
    """A spawned child's entry point: ``module qualname args result_fd inbox_fd memory size``
    (see ``BackgroundCall._spawn``)."""
    module, qualname, args, result_write, inbox_read, memory, size = argv
    function: Any = importlib.import_module(module)
    for name in qualname.split("."):
        function = getattr(function, name)
    shared = None
    if int(memory) >= 0:
        shared = mmap.mmap(int(memory), int(size))
        os.close(int(memory))
    serve(function, marshal.loads(bytes.fromhex(args)), int(result_write), int(inbox_read), shared)


def write_all(fd: int, data: bytes) -> None:
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
            while notice := pipe.read(NOTICE.size):
                start, size = NOTICE.unpack(notice)
                if start == IN_PIPE or shared is None:
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
