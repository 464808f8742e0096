"""Writing a command's output to a reader that may stop reading (``netra-diag … | head``).

When the reader closes the pipe, the rest of the output has nowhere to go; that is not an error
of the command. Its exit code still says what it found, so a CI step piping a report through
``head`` keeps the answer.
"""

from __future__ import annotations

import os
import sys

__all__ = ["emit", "silence_stdout"]


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
