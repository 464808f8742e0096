"""Run the reference service on its own event loop in a background thread, for synchronous
callers (the CLI demo, notebooks, the pytest plugin), like httpx's ``serve_in_thread`` helper."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from types import TracebackType
from typing import Self

from netra_diag.emulator.config import EmulatorConfig
from netra_diag.emulator.faults import InjectedFault
from netra_diag.emulator.server import ServiceHandle, run_service
from netra_diag.errors import NetraDiagError

__all__ = ["ThreadedService", "start_in_thread"]


class ThreadedService:
    """A service running in a daemon thread. Same read-only attributes as ``ServiceHandle``;
    ``stop()`` (or leaving the ``with`` block) shuts it down and joins the thread."""

    def __init__(self, config: EmulatorConfig) -> None:
        self._config = config
        self._ready = threading.Event()
        self._handle: ServiceHandle | None = None
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="netra-emulator", daemon=True)

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported to the starting thread
            self._error = exc
            self._ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with run_service(self._config) as handle:
            self._handle = handle
            self._ready.set()
            await self._stop.wait()

    def start(self, timeout: float = 10.0) -> Self:
        self._thread.start()
        if not self._ready.wait(timeout):
            raise NetraDiagError(f"reference service did not start within {timeout:g} s")
        if self._error is not None:
            raise self._error
        return self

    def stop(self, timeout: float = 10.0) -> None:
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            # The loop may close between the check and the call.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stop.set)
        self._thread.join(timeout)

    @property
    def handle(self) -> ServiceHandle:
        if self._handle is None:
            raise NetraDiagError("reference service is not running")
        return self._handle

    @property
    def url(self) -> str:
        return self.handle.url

    @property
    def port(self) -> int:
        return self.handle.port

    @property
    def http_base(self) -> str:
        return self.handle.http_base

    @property
    def config(self) -> EmulatorConfig:
        return self._config

    @property
    def fault_log(self) -> list[InjectedFault]:
        return self.handle.fault_log

    @property
    def active_connections(self) -> int:
        return self.handle.active_connections

    @property
    def runs_started(self) -> int:
        return self.handle.runs_started

    @property
    def events_sent(self) -> int:
        return self.handle.events_sent

    def ws_url(self, path: str = "/ws", **query: str) -> str:
        return self.handle.ws_url(path, **query)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self._handle is not None and self._thread.is_alive() else "stopped"
        return f"ThreadedService({state}, url={self._handle.url if self._handle else None!r})"


def start_in_thread(config: EmulatorConfig | None = None) -> ThreadedService:
    """Start the service in a background thread and return once it listens."""
    return ThreadedService(config or EmulatorConfig()).start()
