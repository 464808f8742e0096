"""Writing a command's output to a reader that may stop reading (``netra-diag … | head``).

When the reader closes the pipe, the rest of the output has nowhere to go; that is not an error
of the command. Its exit code still says what it found, so a CI step piping a report through
``head`` keeps the answer.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO, cast

__all__ = ["controls_shown_on_stdout", "emit", "silence_stdout", "visible_controls"]


def silence_stdout() -> None:
    """Send whatever is still to be written to stdout nowhere: the reader has gone, and the
    interpreter's last flush would otherwise fail and print a traceback at exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    finally:
        os.close(devnull)


def emit(text: str) -> None:
    """Write ``text`` to stdout and flush it; a reader that has gone is not an error."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        silence_stdout()


# What a results file, a recording or a service may carry in a message and a terminal would obey:
# C0 controls but tab and newline (ESC starts colour, cursor and title sequences; a bare CR
# redraws the line over what was printed), DEL, C1 controls (8-bit CSI, OSC), and the
# bidirectional overrides and isolates that make a line read otherwise than it is.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _shown(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible_controls(text: str) -> str:
    """``text`` with each control character a terminal would act on written out as its escape
    (ESC as ``\\x1b``), so that a report shows it instead of obeying it."""
    return _CONTROLS.sub(_shown, text) if _CONTROLS.search(text) else text


class _VisibleStdout:
    """stdout, writing ``visible_controls`` of every text (``shown_controls_on_stdout``)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(visible_controls(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextmanager
def controls_shown_on_stdout() -> Iterator[None]:
    """While inside, what the command prints to stdout shows control characters instead of
    sending them: a test id or failure message from a results file, a frame from a service, can
    hold escape sequences that clear the screen, set the window title or hide text. (stderr is
    left alone: the progress bars drawn there redraw their line on purpose.)"""
    stream = sys.stdout
    sys.stdout = cast("TextIO", _VisibleStdout(stream))
    try:
        yield
    finally:
        if isinstance(sys.stdout, _VisibleStdout):
            sys.stdout = stream
