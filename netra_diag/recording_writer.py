"""The writing half of cassettes: ``Recorder``, an append-only writer flushed per line (the line
format is ``netra_diag.recording_format``; reading is ``netra_diag.recording``, which also
exports ``Recorder``).

Each line is written with one ``os.write`` on an ``O_APPEND`` descriptor: nothing is buffered
across calls, so a ``kill -9`` leaves every line written so far on disk (at worst the last line
is cut short, which ``load_cassette`` reports and skips). The exceptions are opt-in: a session
receiving several frames in one network read defers their lines (``defer=True``) and writes
them with one ``os.write`` (``flush``) before handing any of them on, so every frame a caller
has seen is on disk; and a session's opening handshake is held (``holding()``, ``hold=True``)
until ``Session.connect`` returns, before which nobody has seen it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from netra_diag import __version__
from netra_diag.errors import RecordingError
from netra_diag.events.model import Event
from netra_diag.recording_format import (
    expand_secrets,
    frame_line,
    header_line,
    mark_line,
    with_secret,
)
from netra_diag.recording_lines import ReceivedLines
from netra_diag.recording_reservations import OPEN_FLAGS, ReservedCassette
from netra_diag.redaction import fingerprint

__all__ = ["Recorder"]


class Recorder:
    """Append-only cassette writer. Every line is on disk when the call returns.

    ``token`` (or a token factory's tokens, added later with ``add_secret``) and ``secrets`` are
    used only to scrub: the file holds the fingerprint, never the value (``token_fingerprint``:
    ``redaction.fingerprint(token)``, when the caller has it already). Times are passed in by
    the caller (``t_ns`` relative to the cassette start on the caller's monotonic clock).

    ``hold=True``: start as inside ``holding()`` (lines kept in memory until the first
    ``holding()`` block ends, or ``close()``); a ``ReservedCassette`` then keeps its hidden
    name until its header is written with those lines.

    Usable as a context manager; ``close()`` is idempotent. Writing after ``close()`` is a no-op
    (a session may still be shutting down when its owner closes the file).
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | ReservedCassette,
        *,
        endpoint: str,
        transport: str = "",
        token: str | None = None,
        user: str | None = None,
        started_wall: float,
        labels: Mapping[str, str] | None = None,
        secrets: Iterable[str] = (),
        extra: Mapping[str, Any] | None = None,
        overwrite: bool = True,
        token_fingerprint: str | None = None,
        hold: bool = False,
    ) -> None:
        # Secrets already expanded (a session's) are taken as they are; the token joins them.
        self._secrets: tuple[str, ...] = with_secret(expand_secrets(secrets), token)
        self._received = ReceivedLines(self._secrets)
        self._fd: int | None = None
        self.lines_written = 0
        self._pending: list[str] = []
        self._holding = hold
        self._held_from_start = hold
        # A reserved cassette taken while held: published with the first write (its header).
        self._unpublished: ReservedCassette | None = None
        self._overwrite = overwrite
        if token and token_fingerprint is None:
            token_fingerprint = fingerprint(token)
        # Built before the file is touched: a reserved cassette appears with its header.
        header = header_line(
            endpoint=endpoint,
            transport=transport,
            token_fingerprint=token_fingerprint if token else None,
            user=user,
            tool_version=__version__,
            started_wall=started_wall,
            labels=labels,
            secrets=self._secrets,
            extra=extra,
        )
        if isinstance(path, ReservedCassette):
            self.path = path.path
            if hold:
                self._fd = path.take_hidden()
                self._unpublished = path
                self._pending.append(header)
                return
            self._fd = path.take(overwrite=overwrite)
        else:
            self.path = Path(path)
            flags = OPEN_FLAGS | (os.O_TRUNC if overwrite else os.O_EXCL)
            folder = self.path.parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                # (mkdir's own "File exists" for a file where the folder should be said nothing
                # of which path was wrong)
                in_way = next((p for p in (folder, *folder.parents) if p.exists()), None)
                why = (
                    f"{in_way} is a file, not a folder"
                    if in_way is not None and not in_way.is_dir()
                    else exc.strerror
                )
                raise RecordingError(
                    str(path), f"cannot create its folder {folder}: {why}"
                ) from exc
            try:
                self._fd = os.open(self.path, flags, 0o644)
            except OSError as exc:
                raise RecordingError(str(path), f"cannot open for writing: {exc.strerror}") from exc
        # A file under its real name gets its header at once, held or not.
        self._write_lines((header,))

    @property
    def closed(self) -> bool:
        return self._fd is None

    def add_secret(self, secret: str | None) -> None:
        """Scrub ``secret`` (and its base64url form) from every later line."""
        if secret and secret not in self._secrets:
            self._secrets = with_secret(self._secrets, secret)
            self._received = ReceivedLines(self._secrets)

    def _write(self, line: str) -> None:
        if self._holding:
            self._pending.append(line)
            return
        if self._pending:  # deferred frame lines go first, in the same write
            self._pending.append(line)
            self.flush()
            return
        self._write_lines((line,))

    @contextlib.contextmanager
    def holding(self) -> Iterator[None]:
        """Keep every line in memory until the block ends, then write them with one system call
        (also when the block raises). For a burst of lines nobody outside can observe yet: a
        session's opening handshake writes its marks and first frames this way, before
        ``Session.connect`` returns (five writes per connect were a fifth of a fan-out's
        client CPU). A process killed inside the block loses those lines.

        A recorder made with ``hold=True`` starts as if inside such a block, which its first
        ``holding()`` block ends (or ``close()``): a reserved cassette then keeps its hidden
        name until that write, and appears with its header and the held lines at once."""
        if self._holding and not self._held_from_start:
            yield
            return
        self._holding = True
        self._held_from_start = False
        try:
            yield
        finally:
            self._holding = False
            self.flush()

    def _write_lines(self, lines: Sequence[str]) -> None:
        if self._fd is None:
            return
        text = lines[0] + "\n" if len(lines) == 1 else "\n".join(lines) + "\n"
        data = text.encode("ascii", "backslashreplace")
        try:
            view = memoryview(data)
            while view:
                written = os.write(self._fd, view)
                view = view[written:]
        except OSError as exc:
            if self._unpublished is not None:
                self._abandon()
            raise RecordingError(str(self.path), f"write failed: {exc.strerror}") from exc
        self.lines_written += len(lines)
        if self._unpublished is not None:
            reserved, self._unpublished = self._unpublished, None
            try:
                reserved.publish(overwrite=self._overwrite)
            except RecordingError:
                self._unpublished = reserved
                self._abandon()
                raise

    def _abandon(self) -> None:
        """A held reserved cassette that cannot be written or named: closed, its hidden file
        removed, every later line a no-op (as after ``close()``)."""
        reserved, self._unpublished = self._unpublished, None
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)
        if reserved is not None:
            reserved.discard()

    @property
    def pending(self) -> int:
        """Frame lines written with ``defer=True`` and not flushed yet."""
        return len(self._pending)

    def flush(self) -> None:
        """Write every deferred line, in order, with one ``os.write``."""
        if self._pending:
            lines, self._pending = self._pending, []
            self._write_lines(lines)

    def frame(
        self,
        direction: str,
        data: str | bytes,
        *,
        t_ns: int,
        wall: float | None,
        event: Event | None = None,
        defer: bool = False,
    ) -> None:
        """Append one frame line (``direction`` ``"in"`` or ``"out"``).

        ``defer=True`` keeps the line in memory until the next ``flush()`` (or the next line
        written without ``defer``, or ``close()``), so a caller handling several frames from one
        network read writes them with one system call. Such a caller must flush before anything
        else can observe those frames: only then does a killed process keep them."""
        if self._fd is None:
            return
        line = frame_line(direction, data, t_ns=t_ns, wall=wall, secrets=self._secrets, event=event)
        if defer:
            self._pending.append(line)
        else:
            self._write(line)

    def received(self, prefix: str, data: str, event: Event) -> None:
        """A received text frame's line, deferred like ``frame(..., defer=True)``. ``prefix`` is
        ``recording_lines.frame_line_prefix("in", t_ns, wall)``, built once for all the frames
        of one network read (they share the arrival time): the same line as ``frame`` writes."""
        if self._fd is not None:
            self._pending.append(self._received.line(prefix, data, event))

    def mark(
        self, name: str, *, t_ns: int, wall: float | None, data: Mapping[str, Any] | None = None
    ) -> None:
        """Append one lifecycle mark line."""
        if self._fd is None:
            return
        self._write(mark_line(name, t_ns=t_ns, wall=wall, data=data, secrets=self._secrets))

    def close(self) -> None:
        if self._fd is not None:
            try:
                self.flush()
            finally:
                fd, self._fd = self._fd, None
                if fd is not None:  # None: abandoned by the flush (its error is raised)
                    os.close(fd)

    def __enter__(self) -> Recorder:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __del__(self) -> None:
        # A forgotten Recorder should not leak a descriptor; every line is already on disk.
        fd = getattr(self, "_fd", None)
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)
