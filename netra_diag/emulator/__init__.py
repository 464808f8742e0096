"""The embedded reference agent service: a protocol-faithful local stand-in for the service in
PROTOCOL.md, on websockets' asyncio server. Tests, notebooks and the demo run against it::

    async with run_service(EmulatorConfig(auth=AuthMode.STRICT)) as svc:
        ...  # connect to svc.url; read svc.fault_log

    with start_in_thread(EmulatorConfig()) as svc:  # for synchronous callers
        ...

Module map: ``config`` (what to emulate), ``auth`` (credentials, modes, tickets), ``protocol``
(client frames), ``agent`` (run scripts), ``envelopes`` (variants a–e), ``faults`` (injection and
log), ``router`` (user/thread delivery), ``http`` (health/config/ticket), ``connection_state``
(what is kept per connection), ``connection`` (message loop and handshake), ``runs`` (agent runs
in the background), ``server`` (the websockets glue), ``thread`` (background-thread runner).
"""

from netra_diag.emulator.auth import DEMO_USER_ID
from netra_diag.emulator.config import (
    AuthMode,
    Delay,
    EmulatorConfig,
    Fault,
    FaultPlan,
    TimingProfile,
)
from netra_diag.emulator.faults import InjectedFault
from netra_diag.emulator.server import ServiceHandle, run_service
from netra_diag.emulator.thread import ThreadedService, start_in_thread

__all__ = [
    "DEMO_USER_ID",
    "AuthMode",
    "Delay",
    "EmulatorConfig",
    "Fault",
    "FaultPlan",
    "InjectedFault",
    "ServiceHandle",
    "ThreadedService",
    "TimingProfile",
    "run_service",
    "start_in_thread",
]
