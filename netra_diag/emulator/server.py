"""The embedded reference agent service on websockets' asyncio server (PROTOCOL.md §1–§7).

``run_service(config)`` is an async context manager yielding a ``ServiceHandle``; the server
listens on loopback (port 0 = any free port) and shuts down when the block exits, closing open
connections with 1001 (going away) as the service does on shutdown.

Routing happens in the ``process_request`` hook: HTTP routes are answered there, unknown paths get
404, a malformed query gets 400, factory mode refuses a failed auth with HTTP 403 before the
upgrade; for every other upgrade the credentials and the subprotocol to echo are decided there and
kept on the connection.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import random
import resource
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import ServerConnection, serve
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from netra_diag.emulator.agent import RunContext
from netra_diag.emulator.auth import AuthDecision, Authenticator, read_credentials
from netra_diag.emulator.config import ENVELOPE_CHOICES, EmulatorConfig, Fault, FaultPlan
from netra_diag.emulator.connection import handle_connection, handshake_timeout
from netra_diag.emulator.connection_state import ConnState, EmulatorConnection
from netra_diag.emulator.faults import FaultLog, InjectedFault, Step, roll_faults
from netra_diag.emulator.http import (
    CONFIG_PATH,
    HEALTH_PATH,
    TICKET_PATH,
    config_body,
    health_body,
    json_response,
    ticket_response,
)
from netra_diag.emulator.router import Router
from netra_diag.errors import UsageError
from netra_diag.live.stamping import open_stamping_listener
from netra_diag.live.wslog import ScrubbingLogger

__all__ = [
    "MODES",
    "WS_PATHS",
    "Service",
    "ServiceHandle",
    "raise_nofile_limit",
    "run_service",
]

logger = logging.getLogger("netra_diag.emulator")

MODES: Final = ("main", "factory", "isolated", "legacy")
# Path → mode; None means "from ?mode=" (default main).
WS_PATHS: Final = {
    "/ws": None,
    "/api/v1/websocket": "main",
    "/ws/factory": "factory",
    "/ws/isolated": "isolated",
}
LEGACY_TEST_PATH: Final = "/ws/test"


def raise_nofile_limit(wanted: int = 8192) -> int:
    """Raise the soft open-files limit towards ``wanted`` (never above the hard limit), so the
    service can hold thousands of sockets; returns the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            return target
    return soft


class _BadRequest(Exception):
    pass


class _BadHandshakeOption(Exception):
    """``?handshake=`` / ``?handshake_timeout_s=`` that cannot be read: refused with a plain-text
    400 before the upgrade, like the auth refusals, so the client's handshake diagnostics show
    what was wrong instead of a close 1008 that came after an accepted upgrade."""


class Service:
    """State shared by every connection of one running service."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.auth = Authenticator(config)
        self.router: Router[ConnState] = Router()
        self.fault_log = FaultLog(config.fault_log_path)
        self.runs_started = 0
        self.events_sent = 0
        self.connections_total = 0
        self.url = ""
        self._seq = itertools.count(1)

    # -- fault log -------------------------------------------------------------------------

    def log_fault(
        self,
        fault: Fault,
        state: ConnState,
        *,
        detail: str | None = None,
        event_type: str | None = None,
        ctx: RunContext | None = None,
        step: Step | None = None,
        target: str | None = None,
    ) -> None:
        item = InjectedFault(
            fault=fault,
            run_id=ctx.run_id if ctx else None,
            thread_id=ctx.thread_id if ctx else None,
            user_id=(ctx.user_id if ctx else state.user_id or state.decision.user_id),
            connection_id=state.connection_id,
            event_type=step.event_type if step is not None else event_type,
            detail=detail if detail is not None else (step.detail if step else ""),
            wall=time.time(),
            target_connection_id=target,
        )
        self.fault_log.add(item)
        logger.info("injected %s: %s (run %s)", fault.value, item.detail, item.run_id)

    # -- handshake hooks -------------------------------------------------------------------

    def process_request(self, conn: ServerConnection, request: Request) -> Response | None:
        parts = urlsplit(request.path)
        path = parts.path.rstrip("/") or "/"
        method = getattr(request, "method", "GET")
        now = time.time()
        if path == HEALTH_PATH:
            if method != "GET":
                return json_response(405, {"error": f"{method} not allowed on {path}"})
            return json_response(200, health_body(self.config, len(self.router), now))
        if path == CONFIG_PATH:
            if method != "GET":
                return json_response(405, {"error": f"{method} not allowed on {path}"})
            return json_response(200, config_body(self.config))
        if path == TICKET_PATH:
            if method != "POST":
                return json_response(405, {"error": f"{method} not allowed on {path}; use POST"})
            return ticket_response(request, self.auth, self.url, now)
        legacy = path == LEGACY_TEST_PATH and self.config.legacy_test_endpoint
        if path not in WS_PATHS and not legacy:
            return json_response(404, {"error": f"no route for {path}", "path": path})
        if request.headers.get("Upgrade", "").lower() != "websocket":
            return None  # websockets answers 426 Upgrade Required itself
        if not isinstance(conn, EmulatorConnection):
            return json_response(500, {"error": "unexpected connection class"})
        try:
            state = self._new_state(request, path, parts.query, now, legacy=legacy)
        except _BadRequest as exc:
            return json_response(400, {"error": str(exc), "path": path})
        except _BadHandshakeOption as exc:
            return conn.respond(400, f"Bad request: {exc}\n")
        conn.netra = state
        if state.mode == "factory" and not state.decision.ok:
            # Factory mode authenticates before accepting: the client sees HTTP 403.
            return conn.respond(403, f"Authentication failed: {state.decision.reason}\n")
        return None

    def _new_state(
        self, request: Request, path: str, query: str, now: float, *, legacy: bool
    ) -> ConnState:
        params = {k: v[-1] for k, v in parse_qs(query).items()}
        mode = WS_PATHS.get(path) or params.get("mode", "main")
        if legacy:
            mode = "legacy_test"
        elif mode not in MODES:
            raise _BadRequest(f"unknown mode {mode!r}; modes are {', '.join(MODES)}")
        envelope = params.get("envelope", self.config.envelope)
        if envelope not in ENVELOPE_CHOICES:
            raise _BadRequest(f"unknown envelope {envelope!r}; use {', '.join(ENVELOPE_CHOICES)}")
        plan = self.config.faults
        try:
            if "faults" in params:
                plan = FaultPlan.parse(params["faults"])
            if "stall_s" in params:
                plan = replace(plan, stall_s=float(params["stall_s"]))
        except (UsageError, ValueError) as exc:
            raise _BadRequest(f"bad faults parameter: {exc}") from None
        time_scale = _float_param(params, "time_scale")
        auth_close = params.get("auth_close", str(self.config.auth_close_code))
        if auth_close not in ("1008", "1011"):
            raise _BadRequest(f"auth_close must be 1008 or 1011, got {auth_close!r}")
        try:
            # The message names the parameter, the value and what is accepted (on/off, > 0 s).
            handshake_s = None if legacy else handshake_timeout(self.config, request.path)
        except UsageError as exc:
            raise _BadHandshakeOption(str(exc)) from None
        seq = next(self._seq)
        seed = self.config.seed
        id_rng = random.Random(f"{seed}:ids:{seq}")
        fault_rng = random.Random(f"{seed}:faults:{seq}")
        offered = _offered_subprotocols(request)
        creds = read_credentials(request.headers.get("Authorization"), offered, query)
        state = ConnState(
            connection_id=f"conn_{uuid.UUID(int=id_rng.getrandbits(128)).hex[:16]}",
            seq=seq,
            mode=mode,
            envelope=envelope,
            plan=plan,
            creds=creds,
            decision=self.auth.decide(creds, now) if not legacy else _NO_AUTH,
            conn_faults=roll_faults(plan, fault_rng, per_connection=True),
            fault_rng=fault_rng,
            id_rng=id_rng,
            envelope_rng=random.Random(f"{seed}:envelope:{seq}"),
            time_scale=time_scale,
            auth_close_code=int(auth_close),
            legacy_test=legacy,
            handshake_s=handshake_s,
        )
        self.connections_total += 1
        if Fault.REJECT_AUTH in state.conn_faults and not legacy:
            was = "valid" if state.decision.ok else "already failing"
            state.decision = replace(
                state.decision,
                ok=False,
                user_id=None,
                reason="token rejected (injected fault reject_auth)",
                failure_codes=("injected",),
            )
            self.log_fault(Fault.REJECT_AUTH, state, detail=f"rejected {was} credentials")
        return state

    def select_subprotocol(
        self, conn: ServerConnection, offered: Sequence[Subprotocol]
    ) -> Subprotocol | None:
        state = conn.netra if isinstance(conn, EmulatorConnection) else None
        if state is None or state.creds.selected_subprotocol is None:
            return None
        selected = state.creds.selected_subprotocol
        return Subprotocol(selected) if selected in offered else None

    async def handler(self, conn: ServerConnection) -> None:
        assert isinstance(conn, EmulatorConnection)
        await handle_connection(self, conn)


def _float_param(params: dict[str, str], name: str) -> float | None:
    if name not in params:
        return None
    try:
        value = float(params[name])
    except ValueError:
        raise _BadRequest(f"{name} must be a number, got {params[name]!r}") from None
    if not 0 <= value < float("inf"):
        raise _BadRequest(f"{name} must be a finite number >= 0, got {params[name]!r}")
    return value


def _offered_subprotocols(request: Request) -> list[str]:
    offered: list[str] = []
    for value in request.headers.get_all("Sec-WebSocket-Protocol"):
        offered.extend(p.strip() for p in value.split(",") if p.strip())
    return offered


# /ws/test has no auth at all in the generation that had it.
_NO_AUTH = AuthDecision(True, "anonymous", "none")


class ServiceHandle:
    """What a test or notebook sees of a running service."""

    def __init__(self, service: Service, port: int) -> None:
        self._service = service
        self.port = port
        host = service.config.host
        shown = f"[{host}]" if ":" in host else host
        self.http_base = f"http://{shown}:{port}"
        self.url = f"ws://{shown}:{port}/ws"

    @property
    def config(self) -> EmulatorConfig:
        return self._service.config

    @property
    def fault_log(self) -> list[InjectedFault]:
        """A snapshot of every fault injected so far, oldest first."""
        return self._service.fault_log.snapshot()

    def faults_for_run(self, run_id: str) -> list[InjectedFault]:
        return [f for f in self.fault_log if f.run_id == run_id]

    def clear_fault_log(self) -> None:
        self._service.fault_log.clear()

    @property
    def active_connections(self) -> int:
        """Authenticated connections currently open."""
        return len(self._service.router)

    @property
    def connections_total(self) -> int:
        """Upgrade requests seen on WebSocket paths since start."""
        return self._service.connections_total

    @property
    def runs_started(self) -> int:
        return self._service.runs_started

    @property
    def events_sent(self) -> int:
        """Agent-run frames sent (per recipient), including injected ones."""
        return self._service.events_sent

    def ws_url(self, path: str = "/ws", **query: str) -> str:
        """``ws://host:port`` + ``path`` + an optional query (e.g. ``envelope="b"``)."""
        base = self.url.removesuffix("/ws") + path
        if query:
            from urllib.parse import urlencode

            base += "?" + urlencode(query)
        return base

    def __repr__(self) -> str:
        return f"ServiceHandle(url={self.url!r}, auth={self.config.auth.value!r})"


@contextlib.asynccontextmanager
async def run_service(config: EmulatorConfig | None = None) -> AsyncIterator[ServiceHandle]:
    """Run the reference service for the duration of the ``async with`` block."""
    config = config or EmulatorConfig()
    raise_nofile_limit()
    service = Service(config)
    service.fault_log.open()
    try:
        # Requests are timed by when the kernel received them (``EmulatorConnection``), on a
        # listening socket of our own; a host name is left to asyncio, which may listen on
        # several addresses for it (then requests are timed when the loop reads them).
        listener = open_stamping_listener(config.host, config.port)
        where: dict[str, Any] = (
            {"host": config.host, "port": config.port} if listener is None else {"sock": listener}
        )
        async with serve(
            service.handler,
            **where,
            process_request=service.process_request,
            select_subprotocol=service.select_subprotocol,
            create_connection=EmulatorConnection,
            max_size=config.max_message_size,
            compression="deflate" if config.compression else None,
            # At DEBUG websockets logs every request line and header: tokens and tickets.
            logger=ScrubbingLogger((), name="netra_diag.emulator.websockets"),
        ) as server:
            port = server.sockets[0].getsockname()[1]
            handle = ServiceHandle(service, port)
            service.url = handle.url
            yield handle
    finally:
        service.fault_log.close()
