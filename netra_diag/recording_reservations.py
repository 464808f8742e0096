"""Cassette files created ahead of time (a fan-out does it before its ramp, off the connect path).

Creating a file is the expensive part of starting a cassette: on ext4, after many files were
deleted, the inode allocator skips recently freed inodes and one ``open(O_CREAT)`` costs up to
~0.7 ms of kernel time (measured on this project's test machine; renaming a file costs ~15 µs).
A reserved file is hidden (``.<name>.reserved``, never matched by ``*.jsonl``) and empty until a
``Recorder`` takes it over: it is renamed to its real name only once its header is built, and the
header is written right after, so a ``*.jsonl`` cassette is never left without its header by a
process that was not killed between those two calls. A killed process leaves hidden, empty
reservations behind, which no loader reads.
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

    __slots__ = ("_fd", "hidden", "path")

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.hidden = self.path.with_name(f".{self.path.name}.reserved")
        try:
            self._fd: int | None = os.open(self.hidden, OPEN_FLAGS | os.O_TRUNC, 0o644)
        except OSError as exc:
            raise RecordingError(str(path), f"cannot create: {exc.strerror}") from exc

    @property
    def taken(self) -> bool:
        return self._fd is None

    def take(self, *, overwrite: bool) -> int:
        """Give the file its real name and hand over the descriptor (once)."""
        fd, self._fd = self._fd, None
        if fd is None:
            raise RecordingError(str(self.path), "this reserved cassette was already taken")
        try:
            if overwrite:
                os.replace(self.hidden, self.path)
            else:
                os.link(self.hidden, self.path)  # fails if the cassette exists, as O_EXCL
                os.unlink(self.hidden)
        except OSError as exc:
            os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(self.hidden)
            raise RecordingError(
                str(self.path), f"cannot open for writing: {exc.strerror}"
            ) from exc
        return fd

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(self.hidden)

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
