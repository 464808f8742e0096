"""Cassette files created ahead of time (a fan-out does it before its ramp, off the connect path).

Creating a file is the expensive part of starting a cassette: on ext4, after many files were
deleted, the inode allocator skips recently freed inodes and one ``open(O_CREAT)`` costs up to
~0.7 ms of kernel time (measured on this project's test machine; renaming a file costs ~15 µs).
A reserved file is hidden (``.<name>.reserved``, never matched by ``*.jsonl``) and empty until a
``Recorder`` takes it over. It gets its real name once its header is written: after that write
when the recorder starts held (``Recorder(..., hold=True)``, as a session's does: header and
opening handshake in one write, then the rename), else right before it, so a ``*.jsonl``
cassette is never left without its header by a process that was not killed between those two
calls. A killed process leaves hidden reservations behind, which no loader reads.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from pathlib import Path

from netra_diag.errors import RecordingError

__all__ = ["OPEN_FLAGS", "ReservedCassette", "reserve_cassettes"]

OPEN_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_CLOEXEC", 0)


class ReservedCassette:
    """A cassette file created ahead of time under a hidden name, for a ``Recorder`` to take over
    (``Recorder(reserved, ...)``). ``release()`` removes it if no recorder took it (idempotent);
    an unreleased reservation closes its descriptor when collected, leaving the empty hidden
    file behind."""

    __slots__ = ("_fd", "_hidden_name", "_name", "hidden", "path")

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.hidden = self.path.with_name(f".{self.path.name}.reserved")
        # Both names as text now, before the ramp: the rename then converts no path.
        self._name = os.fspath(self.path)
        self._hidden_name = os.fspath(self.hidden)
        try:
            self._fd: int | None = os.open(self._hidden_name, OPEN_FLAGS | os.O_TRUNC, 0o644)
        except OSError as exc:
            raise RecordingError(str(path), f"cannot create: {exc.strerror}") from exc

    @property
    def taken(self) -> bool:
        return self._fd is None

    def take(self, *, overwrite: bool) -> int:
        """Give the file its real name and hand over the descriptor (once)."""
        fd = self.take_hidden()
        try:
            self.publish(overwrite=overwrite)
        except RecordingError:
            os.close(fd)
            raise
        return fd

    def take_hidden(self) -> int:
        """Hand over the descriptor (once), the file still hidden: the taker writes its header
        (and what else it has) first, then ``publish``es it, which makes it appear whole."""
        fd, self._fd = self._fd, None
        if fd is None:
            raise RecordingError(str(self.path), "this reserved cassette was already taken")
        return fd

    def publish(self, *, overwrite: bool) -> None:
        """Give a taken file its real name: replacing a cassette there (``overwrite``) or
        refusing to, as ``O_EXCL`` would. On failure the hidden file is removed."""
        try:
            if overwrite:
                os.replace(self._hidden_name, self._name)
            else:
                os.link(self._hidden_name, self._name)  # fails if the cassette exists
                os.unlink(self._hidden_name)
        except OSError as exc:
            self.discard()
            raise RecordingError(
                str(self.path), f"cannot open for writing: {exc.strerror}"
            ) from exc

    def discard(self) -> None:
        """Remove the hidden file (released, or taken and not to be published)."""
        with contextlib.suppress(OSError):
            os.unlink(self._hidden_name)

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)
            self.discard()

    def __del__(self) -> None:
        fd = getattr(self, "_fd", None)
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)


def reserve_cassettes(paths: Iterable[str | os.PathLike[str]]) -> list[ReservedCassette]:
    """Create every cassette file in ``paths`` now, hidden and empty (see the module docstring);
    on failure the ones already created are released and ``RecordingError`` is raised."""
    out: list[ReservedCassette] = []
    try:
        for path in paths:
            out.append(ReservedCassette(path))
    except BaseException:
        for item in out:
            item.release()
        raise
    return out
