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

:class:`ReportKernelManager` shuts the kernel down without the noise jupyter_client's shutdown
makes on the report's stderr (the kernel shares it). ``shutdown_kernel`` interrupts the kernel
(SIGINT) before it asks it to shut down, busy or not. ipykernel ignores SIGINT between messages
but not while it handles one, and at the end of a report it often is handling one (the widget
outputs nbclient sends back as ``comm_msg``): it logs ``KeyboardInterrupt caught in kernel.``
When a cell is still running (it timed out), the interrupted cell sends its reply while the
shutdown request, sent right after the signal, is closing the kernel's sockets: ipykernel then
logs a ``ZMQError: Socket operation on non-socket`` traceback. The manager first asks whether the
kernel is idle (a ``kernel_info_request`` on the shell channel is answered only after every
message before it); an idle kernel gets no signal. A busy one is interrupted as before, and the
shutdown request waits until the interrupted cell has replied. Any other message the kernel logs
(a real error) still reaches stderr.

:func:`kill_kernels` ends every kernel a report started, at once: a report interrupted (Ctrl-C,
or ``netra-diag demo`` stopping its report) leaves its event loop mid-cell, where no shutdown
can run. The kernel is in its own session, so the terminal's Ctrl-C never reaches it, and left
alone it would run its cell on until it notices, a second later, that its parent is gone.
"""

from __future__ import annotations

import contextlib
import math
import os
import queue
import re
import signal
import subprocess
import time
import weakref
from collections.abc import Mapping
from typing import Any

import zmq
import zmq.asyncio
from jupyter_client.asynchronous.client import AsyncKernelClient
from jupyter_client.channels import AsyncZMQSocketChannel
from jupyter_client.manager import AsyncKernelManager
from traitlets import Dict, Type
from traitlets.config import Config

__all__ = [
    "CLIENT_CLASS",
    "MANAGER_CLASS",
    "ReArmingChannel",
    "ReportKernelClient",
    "ReportKernelManager",
    "RunTracker",
    "first_line",
    "kernel_config",
    "kill_kernels",
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


class ReportKernelManager(AsyncKernelManager):
    """``AsyncKernelManager`` whose shutdown interrupts only a busy kernel, and lets an
    interrupted cell reply before the kernel is asked to shut down (see the module docstring)."""

    #: How long an idle kernel takes to answer ``kernel_info_request`` (seconds): well above a
    #: loopback round trip, and what an idle kernel's shutdown is delayed by at most.
    idle_probe_timeout = 1.0
    #: How long an interrupted cell gets to send its reply before the shutdown request.
    interrupted_reply_timeout = 3.0

    #: The kernel's environment (``run_report(environ=...)``); ``None``: this process's.
    kernel_env = Dict(default_value=None, allow_none=True).tag(config=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        _MANAGERS.add(self)

    async def start_kernel(self, **kw: Any) -> None:  # type: ignore[override]
        if self.kernel_env is not None:
            kw.setdefault("env", dict(self.kernel_env))
        await super()._async_start_kernel(**kw)

    async def _async_interrupt_kernel(self) -> None:
        if not self.shutting_down:
            await super()._async_interrupt_kernel()
            return
        if await self.answers_within(self.idle_probe_timeout):
            return  # idle: a signal could only land in a handler finishing up
        await super()._async_interrupt_kernel()
        await self.answers_within(self.interrupted_reply_timeout)

    async def answers_within(self, seconds: float) -> bool:
        """Whether the kernel answers a ``kernel_info_request`` on the shell channel within
        ``seconds``: shell messages are handled in order, so an answer means that every
        message before it (a running cell's ``execute_request`` included) was handled and
        replied to."""
        client = self.client(context=self.context)
        client.start_channels(shell=True, iopub=False, stdin=False, hb=False, control=False)
        try:
            msg_id = client.kernel_info()
            deadline = time.monotonic() + seconds
            while (left := deadline - time.monotonic()) > 0:
                reply = await client.get_shell_msg(timeout=left)
                if reply.get("parent_header", {}).get("msg_id") == msg_id:
                    return True
            return False
        except (TimeoutError, queue.Empty, zmq.ZMQError):
            return False
        finally:
            client.stop_channels()


MANAGER_CLASS = f"{__name__}.ReportKernelManager"

# Every ReportKernelManager alive in this process, for kill_kernels.
_MANAGERS: weakref.WeakSet[ReportKernelManager] = weakref.WeakSet()


def kill_kernels() -> int:
    """Kill every kernel a :class:`ReportKernelManager` of this process started and is still
    running (its whole process group: the kernel leads its own session), wait for each, and
    remove its connection and IPC files. Returns how many were killed. For an interrupted run,
    whose event loop stopped mid-cell: nothing asynchronous can run any more."""
    killed = 0
    for manager in list(_MANAGERS):
        process = getattr(manager.provisioner, "process", None)
        if not isinstance(process, subprocess.Popen) or process.poll() is not None:
            continue
        if os.name == "posix":
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        process.wait()
        killed += 1
        with contextlib.suppress(OSError):
            manager.cleanup_connection_file()
            manager.cleanup_ipc_files()
    return killed


def kernel_config(tmp: str, env: Mapping[str, str] | None = None) -> Config:
    """The notebook client's and kernel manager's settings for one run:
    :class:`ReportKernelManager`, :class:`ReportKernelClient`, and kernel channels over IPC
    sockets in the run's private temp dir ``tmp`` where the platform has them: nothing listens on
    a TCP port, and ipykernel has no unencrypted TCP to warn about. ``env``: the kernel's
    environment (``None``: this process's)."""
    settings: dict[str, Any] = {"client_class": CLIENT_CLASS}
    if os.name == "posix":
        settings |= {"transport": "ipc", "ip": f"{tmp}/kernel"}
    config: dict[str, Any] = {
        "NotebookClient": {"kernel_manager_class": MANAGER_CLASS},
        "KernelManager": settings,
    }
    if env is not None:
        config["ReportKernelManager"] = {"kernel_env": dict(env)}
    return Config(config)


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_ARROW = re.compile(r"^-+>\s*(\d+\s+)?(?P<code>.+)$")


_CELL_FRAME = re.compile(r"^Cell\s+In\s*\[\d*\]")


def raising_line(traceback: Any) -> str:
    """The notebook's own line that raised, from a cell error's traceback (IPython marks it
    ``----> N code``), cut to 60 characters; empty when none is found. Names the cause better
    than a cell's first line, which is often an import.

    The line marked in the cell's own frame (``Cell In[3], line 11``) of the exception raised
    last is taken: a chained exception is printed cause first, and the cause's first marked line
    is deep in a library (``parser.Parse(b"", True)``), where a reader of the report cannot act.
    Without a cell frame, the first marked line."""
    first, in_cell, chosen = "", False, ""
    for entry in traceback or ():
        for line in _ANSI.sub("", str(entry)).splitlines():
            text = line.strip()
            if _CELL_FRAME.match(text):
                in_cell = True
                continue
            match = _ARROW.match(text)
            if match:
                code = match.group("code").strip()[:60]
                first = first or code
                if in_cell:
                    chosen, in_cell = code, False
    return chosen or first


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
        self.cell_started = started
        self.granted = 0

    def on_notebook_start(self, notebook: Any, **_: Any) -> None:
        # The executed notebook, outputs so far included: papermill writes it only when no
        # exception other than a cell's own error ends the run.
        self.notebook = notebook

    def progress(self) -> str:
        """``In [3] 'import tempfile' (cell 3 of 21) running for 20 s``, for a progress line
        while a slow cell runs; empty when none is running."""
        running, where = self.running, self.where()
        if running is None or not where:
            return ""
        cells = getattr(self.notebook, "cells", None) or ()
        code = [i for i, c in enumerate(cells) if c.get("cell_type") == "code"]
        of = (
            f" (code cell {code.index(running[0]) + 1} of {len(code)})"
            if running[0] in code
            else ""
        )
        return f"{where}{of} running for {time.monotonic() - self.cell_started:.0f} s"

    def timeout_for(self, cell: Any) -> int:
        budget = self.cell_timeout
        if self.deadline is not None:
            budget = min(budget, self.deadline - time.monotonic())
        # nbclient reads 0 as "no timeout": a spent budget still gets one second, not forever.
        self.granted = max(1, math.ceil(budget))
        return self.granted

    def on_cell_execute(self, cell: Any, cell_index: int, **_: Any) -> None:
        self.running = (cell_index, cell)
        self.cell_started = time.monotonic()

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
        """The error line for a cell that did not answer in time, naming the option that sets
        the limit: a cell still busy (recording a fan-out) is the usual cause, not a dead
        kernel."""
        limit = (
            f"the report's {self.run_timeout:g} s budget ran out: --timeout"
            if self.run_timeout is not None and self.granted < self.cell_timeout
            else f"cell timeout {self.cell_timeout:g} s: --cell-timeout"
        )
        where = self.where() or "a cell"
        return f"{where}: not finished within {self.granted} s, stopped ({limit})"
