"""How a report's notebook is executed: the kernel client, the kernel's transport, and the
limits that keep a run from waiting forever.

The client (:class:`ReportKernelClient`, set as ``KernelManager.client_class`` by
:func:`kernel_config`) fixes a lost wake-up. nbclient waits for a cell's ``execute_reply`` with a
``zmq.asyncio`` poll on the shell socket: an event-loop reader on the socket's ``ZMQ_FD``, which
libzmq signals edge-triggered ("commands pending", not "readable"). While it waits, nbclient's
stand-in for an ipywidgets ``Output`` widget (the panels draw their figures into one) sends each
captured output back to the kernel as a ``comm_msg`` on that same shell socket, and
``jupyter_client.session.Session.send`` sends through a plain shadow of the asyncio socket,
outside pyzmq's asyncio bookkeeping. That send lets libzmq process its pending commands, the
reply's arrival among them, which drains the descriptor: the reply then sits unread in the
socket, the reader is never woken, and the cell waits out its whole timeout (600 s by default;
only the poll's last check at the timeout finds the reply) while the kernel is idle (the
upstream report is jupyter/nbclient#312). The window is the client's handling of the widget's
last output, so a large output (a figure) makes it likely. After every send the client
reads ``EVENTS`` through the asyncio socket, pyzmq's own way to re-check and wake a poll whose
message is already there (its asyncio sends do the same).

:class:`RunTracker` bounds the run whatever the cause: each cell's timeout is cut to what is left
of the whole run's budget, and a cell that never answers ends the run with an error naming it,
the notebook kept as far as it ran.
"""

from __future__ import annotations

import math
import os
import re
import time
from typing import Any

import zmq
import zmq.asyncio
from jupyter_client.asynchronous.client import AsyncKernelClient
from jupyter_client.channels import AsyncZMQSocketChannel
from traitlets import Type
from traitlets.config import Config

__all__ = [
    "CLIENT_CLASS",
    "ReArmingChannel",
    "ReportKernelClient",
    "RunTracker",
    "first_line",
    "kernel_config",
    "raising_line",
]


class ReArmingChannel(AsyncZMQSocketChannel):
    """An asyncio channel whose sends never leave an arrived message unnoticed by a waiting
    ``get_msg`` (see the module docstring)."""

    def send(self, msg: dict[str, Any]) -> None:
        super().send(msg)
        if isinstance(self.socket, zmq.asyncio.Socket):
            # Reading EVENTS through the asyncio socket schedules its waiting reads when the
            # raw send above consumed the descriptor's edge for a message already queued.
            self.socket.get(zmq.EVENTS)


class ReportKernelClient(AsyncKernelClient):
    """``AsyncKernelClient`` whose request channels re-check for replies after sending."""

    shell_channel_class = Type(ReArmingChannel)
    control_channel_class = Type(ReArmingChannel)
    stdin_channel_class = Type(ReArmingChannel)


CLIENT_CLASS = f"{__name__}.ReportKernelClient"


def kernel_config(tmp: str) -> Config:
    """The kernel manager's settings for one run: :class:`ReportKernelClient`, and kernel
    channels over IPC sockets in the run's private temp dir ``tmp`` where the platform has them:
    nothing listens on a TCP port, and ipykernel has no unencrypted TCP to warn about."""
    settings: dict[str, Any] = {"client_class": CLIENT_CLASS}
    if os.name == "posix":
        settings |= {"transport": "ipc", "ip": f"{tmp}/kernel"}
    return Config({"KernelManager": settings})


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_ARROW = re.compile(r"^-+>\s*(\d+\s+)?(?P<code>.+)$")


def raising_line(traceback: Any) -> str:
    """The notebook's own line that raised, from a cell error's traceback (IPython marks it
    ``----> N code``), cut to 60 characters; empty when none is found. Names the cause better
    than a cell's first line, which is often an import."""
    for entry in traceback or ():
        for line in _ANSI.sub("", str(entry)).splitlines():
            match = _ARROW.match(line.strip())
            if match:
                return match.group("code").strip()[:60]
    return ""


def first_line(source: str) -> str:
    """The first non-blank line of a cell's source, cut to 60 characters (for error lines)."""
    return next((line.strip() for line in source.splitlines() if line.strip()), "")[:60]


class RunTracker:
    """What a run is doing, from nbclient's hooks and ``timeout_func``: the notebook being
    executed (``on_notebook_start``), the cell running (``on_cell_execute``/``on_cell_executed``)
    and the timeout each cell gets.

    A cell gets ``cell_timeout``, cut to what is left of ``run_timeout`` counted from ``started``
    (``time.monotonic``): however many cells there are, they end within the run's budget, and a
    cell whose reply never comes ends in an error that names it (:meth:`timeout_error`)."""

    def __init__(self, cell_timeout: float, run_timeout: float | None, started: float) -> None:
        self.cell_timeout = cell_timeout
        self.run_timeout = run_timeout
        self.deadline = None if run_timeout is None else started + run_timeout
        self.notebook: Any = None
        self.running: tuple[int, Any] | None = None
        self.granted = 0

    def on_notebook_start(self, notebook: Any, **_: Any) -> None:
        # The executed notebook, outputs so far included: papermill writes it only when no
        # exception other than a cell's own error ends the run.
        self.notebook = notebook

    def timeout_for(self, cell: Any) -> int:
        budget = self.cell_timeout
        if self.deadline is not None:
            budget = min(budget, self.deadline - time.monotonic())
        # nbclient reads 0 as "no timeout": a spent budget still gets one second, not forever.
        self.granted = max(1, math.ceil(budget))
        return self.granted

    def on_cell_execute(self, cell: Any, cell_index: int, **_: Any) -> None:
        self.running = (cell_index, cell)

    def on_cell_executed(self, **_: Any) -> None:
        self.running = None

    def where(self) -> str:
        """``In [N] 'first line'`` of the running cell (``cell N`` while it has no count yet);
        empty when no cell is running."""
        if self.running is None:
            return ""
        index, cell = self.running
        count = cell.get("execution_count")
        label = f"In [{count}]" if count else f"cell {index}"
        return f"{label} {first_line(cell.get('source', ''))!r}"

    def timeout_error(self) -> str:
        """The error line for a cell that did not answer in time."""
        limit = (
            f"the report's {self.run_timeout:g} s budget ran out"
            if self.run_timeout is not None and self.granted < self.cell_timeout
            else f"cell timeout {self.cell_timeout:g} s"
        )
        where = self.where() or "a cell"
        return f"{where}: no reply from the kernel within {self.granted} s ({limit})"
