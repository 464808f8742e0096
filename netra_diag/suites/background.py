"""Run a function on the second core in a child process, for work whose inputs are already loaded
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

Where forking is unsafe, in a process where other threads run (a Jupyter kernel: a forked child
would inherit locks they hold), the child is a fresh interpreter instead (``subprocess``, which
execs at once and inherits nothing but the descriptors it is handed): it imports the function by
name, and the shared memory is a ``memfd`` both processes map (an unlinked temporary file where
the system has no ``memfd``). Starting it costs the other core some 30 ms (interpreter and
imports), so callers only do that for work that takes much longer (``can_run_apart``).
Where neither is possible (no ``os.fork`` and no POSIX ``pass_fds``, a function defined in
``__main__``), ``BackgroundCall`` calls the function in this process, at ``result()``. A child
that fails, for whatever reason, yields ``None`` and the caller does the work itself; a forked
child never runs the parent's ``atexit`` handlers or flushes its buffers (``os._exit``).
"""

from __future__ import annotations

import contextlib
import marshal
import mmap
import os
import signal
import sys
import threading
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from netra_diag.suites.background_child import IN_PIPE, NOTICE, serve, write_all

if TYPE_CHECKING:
    import subprocess

__all__ = ["SPAWN_MIN_BYTES", "BackgroundCall", "Mode", "can_fork", "can_run_apart"]

Mode = Literal["fork", "spawn", ""]  # "": the function runs in this process, at result()

# Work on files this size or larger is worth a spawned helper where none can be forked: a fresh
# interpreter costs the other core some 30 ms to start. Measured in a process with a thread
# running, a triage took as long either way at 8 MB; at 16 MB 0.21 s against 0.24 s.
SPAWN_MIN_BYTES = 12 << 20
# A spawned child gets the function's arguments on its command line.
_MAX_SPAWN_ARGS = 16 << 10
# The spawned child's program. A function of this package's suites needs a module or two of it,
# not all of it: the package is registered without running its __init__ (which imports every
# module, some 35 ms on the other core before the child can start); those modules import each
# other by their full names. Any other function's module is imported as usual.
_SPAWNED = """
import importlib.util, sys
if sys.argv[1].startswith("netra_diag.suites."):
    spec = importlib.util.find_spec("netra_diag.suites")
    sys.modules["netra_diag.suites"] = importlib.util.module_from_spec(spec)
from netra_diag.suites.background_child import spawned_main
spawned_main(sys.argv[1:])
"""


def can_fork() -> bool:
    """Whether forking this process now is safe (see the module docstring)."""
    return hasattr(os, "fork") and threading.active_count() == 1


# subprocess hands a child chosen descriptors (pass_fds) on POSIX systems only.
_PASS_FDS = os.name == "posix"


def _can_spawn(function: Callable[..., Any]) -> bool:
    module = getattr(function, "__module__", None)
    return (
        _PASS_FDS
        and bool(sys.executable)
        and module not in (None, "__main__")
        and "<" not in getattr(function, "__qualname__", "<")  # (a lambda or a local function)
    )


def can_run_apart(function: Callable[..., Any], *, spawn: bool = True) -> Mode:
    """How ``BackgroundCall(function, ...)`` would run it now: forked, spawned (only when
    ``spawn``: the caller's work is worth a fresh interpreter's imports) or here."""
    if can_fork():
        return "fork"
    return "spawn" if spawn and _can_spawn(function) else ""


def _shared_file() -> int:
    """A descriptor of an anonymous file to map in both processes: a ``memfd`` where the system
    has them (Linux), else a temporary file unlinked at once (macOS, the BSDs): both are gone
    once the last descriptor and mapping of them are."""
    if hasattr(os, "memfd_create"):
        return os.memfd_create("netra-diag-inbox")
    import tempfile  # (only here: its imports cost a triage's start some 3 ms)

    fd, path = tempfile.mkstemp(prefix="netra-diag-inbox-")
    os.unlink(path)
    return fd


class BackgroundCall:
    """``function(*args)`` in a child process, started at once (forked, or spawned where forking
    is unsafe and ``spawn`` is true); ``result()`` waits for it. Results must be
    ``marshal``-able, and so must ``args`` for a spawned child. ``pass_fds``: descriptors among
    ``args`` that the child must have too (a forked child has them anyway).

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
        spawn: bool = True,
        inbox: bool = False,
        inbox_bytes: int = 0,
        pass_fds: tuple[int, ...] = (),
    ) -> None:
        self._function, self._args = function, args
        self._inbox = inbox
        self._shared: mmap.mmap | None = None
        self._used = 0
        self._pid = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._read = self._write = -1
        self._queued: list[Any] = []  # messages, when no child runs
        self._closed = False  # close_inbox() was called: what is sent after is dropped
        self.mode: Mode = can_run_apart(function, spawn=spawn) if fork else ""
        encoded = _command_line_args(args) if self.mode == "spawn" else ""
        if encoded is None:
            self.mode = ""
        elif self.mode:
            try:
                self._start(inbox_bytes, pass_fds, encoded)
            except OSError:  # no process could be started (out of processes or memory)
                self._reap()
                self.mode = ""
                return
            self._args = ()  # the child has them; the parent may free them

    @property
    def apart(self) -> bool:
        """Whether a child process runs the function."""
        return bool(self.mode)

    def _start(self, inbox_bytes: int, pass_fds: tuple[int, ...], encoded: str) -> None:
        self._read, result_write = os.pipe()
        inbox_read = -1
        if self._inbox:
            inbox_read, self._write = os.pipe()
        try:
            if self.mode == "fork":
                self._fork(result_write, inbox_read, inbox_bytes)
            else:
                self._spawn(result_write, inbox_read, inbox_bytes, pass_fds, encoded)
        finally:
            os.close(result_write)
            if inbox_read >= 0:
                os.close(inbox_read)

    def _fork(self, result_write: int, inbox_read: int, inbox_bytes: int) -> None:
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
                os.close(self._read)
                if self._write >= 0:
                    os.close(self._write)
                serve(self._function, self._args, result_write, inbox_read, self._shared)
            finally:
                os._exit(0)
        self._pid = pid

    def _spawn(
        self,
        result_write: int,
        inbox_read: int,
        inbox_bytes: int,
        pass_fds: tuple[int, ...],
        encoded: str,
    ) -> None:
        memory = -1
        fds = [result_write, *pass_fds]
        try:
            if self._inbox and inbox_bytes > 0:
                memory = _shared_file()
                os.ftruncate(memory, inbox_bytes)
                self._shared = mmap.mmap(memory, inbox_bytes)
                fds.append(memory)
            if inbox_read >= 0:
                fds.append(inbox_read)
            function = self._function
            command = [
                sys.executable,
                "-c",
                _SPAWNED,
                function.__module__,
                function.__qualname__,
                encoded,
                str(result_write),
                str(inbox_read),
                str(memory),
                str(inbox_bytes if memory >= 0 else 0),
            ]
            # The child finds what this process imports where it found it (a notebook may have
            # put the project on sys.path by hand).
            env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
            import subprocess  # (only a spawned child needs it: some 3 ms of every start)

            self._process = subprocess.Popen(
                command,
                pass_fds=fds,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        finally:
            if memory >= 0:
                os.close(memory)  # (the mapping keeps the memory)

    def send(self, message: Any) -> None:
        """Hand ``message`` to the function (only with ``inbox``)."""
        if not self.mode:
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
                write_all(self._write, NOTICE.pack(self._used, len(payload)))
                self._used += len(payload)
            else:
                write_all(self._write, NOTICE.pack(IN_PIPE, len(payload)))
                write_all(self._write, payload)
        except OSError:  # the child died: stop sending
            self._close_inbox()

    def close_inbox(self) -> None:
        """Send no more: the function's ``messages`` end, and the child may finish while this
        process goes on (``result`` does this too)."""
        self._closed = True
        if self.mode:
            self._close_inbox()

    def result(self) -> Any | None:
        """The function's result; None if the child failed. Runs the function here if no child
        was started."""
        if not self.mode:
            if self._inbox:
                return self._function(iter(self._queued), *self._args)
            return self._function(*self._args)
        if self._read < 0:
            return None  # already read, or cancelled
        self._close_inbox()
        chunks: list[bytes] = []
        try:
            while chunk := os.read(self._read, 1 << 20):
                chunks.append(chunk)
            payload = self._payload(b"".join(chunks))
            try:
                return None if payload is None else marshal.loads(payload)
            except (EOFError, ValueError, TypeError):
                return None
        finally:
            self._reap()

    def _payload(self, received: bytes) -> bytes | memoryview | None:
        """The marshalled result the child's notice points to (None if the child failed)."""
        if len(received) < NOTICE.size:
            return None
        start, size = NOTICE.unpack_from(received)
        if start == IN_PIPE:
            rest = memoryview(received)[NOTICE.size :]
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
        if self._process is not None:
            with contextlib.suppress(OSError):
                self._process.kill()
        self._reap()

    def __del__(self) -> None:
        # A call dropped without result() or cancel(): nobody will read its answer. (No
        # contextlib here: at interpreter exit, module globals may be gone already.)
        try:
            if self._pid or self._process is not None:
                self.cancel()
        except Exception:  # (nothing to tell, and no one to tell it to)
            pass

    def _close_inbox(self) -> None:
        if self._write >= 0:
            with contextlib.suppress(OSError):
                os.close(self._write)
            self._write = -1

    def _reap(self) -> None:
        pid, self._pid = self._pid, 0
        process, self._process = self._process, None
        self._close_inbox()
        if self._shared is not None:
            self._shared.close()
            self._shared = None
        if self._read >= 0:
            with contextlib.suppress(OSError):
                os.close(self._read)
            self._read = -1
        if pid:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        if process is not None:
            process.wait()


def _command_line_args(args: tuple[Any, ...]) -> str | None:
    """``args`` as a spawned child gets them on its command line (``marshal``, in hex); None
    when they cannot go there (not ``marshal``-able, or too long)."""
    try:
        encoded = marshal.dumps(args)
    except ValueError:
        return None
    return encoded.hex() if len(encoded) <= _MAX_SPAWN_ARGS else None
