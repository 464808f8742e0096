"""What the embedded reference service does: auth, timing, envelope, faults (PROTOCOL.md §2–§6).

Everything here is a frozen value object with no I/O, so a configuration can be built, compared and
printed (it never holds a token; ``secret`` is masked in ``repr``).
"""

from __future__ import annotations

import ipaddress
import math
import random
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from netra_diag.errors import UsageError
from netra_diag.tokens import LOCAL_DEV_SECRET

__all__ = [
    "CREDENTIAL_TRANSPORTS",
    "ENVELOPE_CHOICES",
    "PHASES",
    "AuthMode",
    "Delay",
    "EmulatorConfig",
    "Fault",
    "FaultPlan",
    "TimingProfile",
    "is_loopback",
    "parse_switch",
]

ENVELOPE_CHOICES: Final = ("a", "b", "c", "d", "e", "mixed")
# The phases of one run whose delays can be shaped: before agent_started, before each
# agent_thinking, the tool's own execution (tool_executing → tool_completed), before
# agent_completed, and the short gap before every other event (tool_executing after thinking).
PHASES: Final = ("first_event", "think", "tool", "completion", "inter_event")
# How credentials can reach the upgrade request, in the order the service looks (PROTOCOL.md §2).
CREDENTIAL_TRANSPORTS: Final = ("header", "subprotocol", "query", "ticket")


class AuthMode(StrEnum):
    """How the service treats credentials (PROTOCOL.md §2, "Permissive auth")."""

    STRICT = "strict"  # validate like the service; reject with 1008 / HTTP 403
    DEMO = "demo"  # accept anything; every user is demo-user-001
    RELAXED = "relaxed"  # a valid token maps to its sub; anything else gets relaxed_<n>
    EMERGENCY = "emergency"  # accept anything; every connection gets emergency_<ms timestamp>


class Fault(StrEnum):
    """Faults the service can inject, each named after what the client will see."""

    DROP_EVENT = "drop_event"
    DUPLICATE_EVENT = "duplicate_event"
    REORDER = "reorder"
    STALL = "stall"
    DISCONNECT_MID_RUN = "disconnect_mid_run"
    MALFORMED_FRAME = "malformed_frame"
    UNKNOWN_EVENT_TYPE = "unknown_event_type"
    OVERSIZED_FRAME = "oversized_frame"
    REJECT_AUTH = "reject_auth"
    CLOSE_1011_AFTER_FIRST_MESSAGE = "close_1011_after_first_message"
    STOP_HEARTBEATS = "stop_heartbeats"
    LEAK_OTHER_USER = "leak_other_user"
    # The newest generation's handshake (only with ``EmulatorConfig.handshake`` / ?handshake=on):
    # handshake_complete never sent though the service goes ready, or held for ``stall_s``.
    DROP_HANDSHAKE_COMPLETE = "drop_handshake_complete"
    LATE_HANDSHAKE_COMPLETE = "late_handshake_complete"

    @property
    def per_connection(self) -> bool:
        """Rolled once per connection (else once per agent run)."""
        return self in _CONNECTION_FAULTS


_CONNECTION_FAULTS: Final = frozenset(
    {
        Fault.REJECT_AUTH,
        Fault.CLOSE_1011_AFTER_FIRST_MESSAGE,
        Fault.STOP_HEARTBEATS,
        Fault.DROP_HANDSHAKE_COMPLETE,
        Fault.LATE_HANDSHAKE_COMPLETE,
    }
)


def _finite(name: str, value: float, *, minimum: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UsageError(f"{name} must be a number, got {value!r}")
    if not math.isfinite(value) or value < minimum:
        raise UsageError(f"{name} must be a finite number >= {minimum:g}, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class Delay:
    """A lognormal delay in milliseconds: ``median_ms`` with shape ``sigma`` (0 = constant),
    clipped to ``[min_ms, max_ms]``. The default cap is the service's 30 s between events."""

    median_ms: float
    sigma: float = 0.5
    min_ms: float = 0.0
    max_ms: float = 30_000.0

    def __post_init__(self) -> None:
        _finite("Delay.median_ms", self.median_ms)
        _finite("Delay.sigma", self.sigma)
        _finite("Delay.min_ms", self.min_ms)
        if _finite("Delay.max_ms", self.max_ms) < self.min_ms:
            raise UsageError(f"Delay.max_ms ({self.max_ms}) is below min_ms ({self.min_ms})")

    @classmethod
    def fixed(cls, ms: float) -> Delay:
        return cls(ms, 0.0, 0.0, max(30_000.0, float(ms)))

    def sample(self, rng: random.Random) -> float:
        if self.median_ms <= 0:
            value = 0.0
        elif self.sigma == 0:
            value = self.median_ms
        else:
            value = rng.lognormvariate(math.log(self.median_ms), self.sigma)
        return min(max(value, self.min_ms), self.max_ms)


def _range(name: str, value: tuple[int, int], minimum: int) -> None:
    low, high = value
    if not (isinstance(low, int) and isinstance(high, int)) or low < minimum or high < low:
        raise UsageError(f"TimingProfile.{name} must be (low, high) with {minimum} <= low <= high")


@dataclass(frozen=True)
class TimingProfile:
    """How long each phase of a run takes, seeded so a run's timing is reproducible.

    Delays drawn from the distributions are multiplied by ``time_scale`` (0 = no sleeps at all).
    ``fixed_delays_ms`` pins chosen phases (keys from ``PHASES``) to exact wall-clock delays that
    ``time_scale`` does not touch, so a client's measured latency can be compared with what the
    service was told to inject. ``seed`` None means "use ``EmulatorConfig.seed``".
    """

    seed: int | None = None
    time_scale: float = 1.0
    first_event_ms: Delay = Delay(150.0, 0.4)
    think_ms: Delay = Delay(400.0, 0.5)
    tool_ms: Delay = Delay(800.0, 0.6)
    completion_ms: Delay = Delay(200.0, 0.4)
    inter_event_ms: Delay = Delay(40.0, 0.5)
    thinking_steps: tuple[int, int] = (1, 3)
    tool_calls: tuple[int, int] = (0, 2)
    fixed_delays_ms: Mapping[str, float] | None = None

    def __post_init__(self) -> None:
        _finite("TimingProfile.time_scale", self.time_scale)
        _range("thinking_steps", self.thinking_steps, 1)
        _range("tool_calls", self.tool_calls, 0)
        if self.fixed_delays_ms is not None:
            fixed: dict[str, float] = {}
            for key, value in dict(self.fixed_delays_ms).items():
                phase = key.removesuffix("_ms")
                if phase not in PHASES:
                    raise UsageError(
                        f"TimingProfile.fixed_delays_ms: unknown phase {key!r}; "
                        f"phases are {', '.join(PHASES)}"
                    )
                fixed[phase] = _finite(f"fixed_delays_ms[{key!r}]", value)
            object.__setattr__(self, "fixed_delays_ms", MappingProxyType(fixed))

    @classmethod
    def instant(cls, **kwargs: object) -> TimingProfile:
        """No sleeps at all (``time_scale=0``): for throughput and most tests."""
        return cls(time_scale=0.0, **kwargs)  # type: ignore[arg-type]

    def distribution(self, phase: str) -> Delay:
        return {
            "first_event": self.first_event_ms,
            "think": self.think_ms,
            "tool": self.tool_ms,
            "completion": self.completion_ms,
            "inter_event": self.inter_event_ms,
        }[phase]

    def delay_s(self, phase: str, rng: random.Random, time_scale: float | None = None) -> float:
        """The wall-clock delay in seconds for one occurrence of ``phase``.

        A sample is always drawn, even for fixed phases, so pinning one phase does not shift the
        random sequence of the others.
        """
        sampled = self.distribution(phase).sample(rng)
        if self.fixed_delays_ms is not None and phase in self.fixed_delays_ms:
            return self.fixed_delays_ms[phase] / 1000.0
        scale = self.time_scale if time_scale is None else time_scale
        return sampled * scale / 1000.0


@dataclass(frozen=True)
class FaultPlan:
    """Which faults to inject and how often: ``faults`` maps each fault to a probability (1.0 =
    every run, or every connection for connection-level faults). ``stall_s`` is the length of an
    injected stall in seconds (absolute, not scaled by ``time_scale``), and also how long
    ``late_handshake_complete`` holds ``handshake_complete`` back."""

    faults: Mapping[Fault, float] = field(default_factory=dict)
    stall_s: float = 2.0

    def __post_init__(self) -> None:
        clean: dict[Fault, float] = {}
        for key, value in dict(self.faults).items():
            try:
                fault = Fault(key)
            except ValueError:
                raise UsageError(_unknown_fault(str(key))) from None
            prob = _finite(f"probability of {fault.value}", value)
            if prob > 1.0:
                raise UsageError(f"probability of {fault.value} must be in 0..1, got {value!r}")
            clean[fault] = prob
        object.__setattr__(self, "faults", MappingProxyType(clean))
        _finite("FaultPlan.stall_s", self.stall_s)

    def __bool__(self) -> bool:
        return any(p > 0 for p in self.faults.values())

    @classmethod
    def parse(cls, text: str | None) -> FaultPlan:
        """``"drop_event,stall@0.5,stall_s=1.5"``: names with an optional ``@probability``
        (default 1.0) and an optional ``stall_s=SECONDS``. Empty text is the empty plan."""
        faults: dict[Fault, float] = {}
        stall_s = 2.0
        for raw in (text or "").split(","):
            item = raw.strip()
            if not item:
                continue
            if item.startswith("stall_s="):
                try:
                    stall_s = float(item.partition("=")[2])
                except ValueError:
                    raise UsageError(f"bad fault option {item!r}: stall_s needs seconds") from None
                continue
            name, _, prob_text = item.partition("@")
            try:
                fault = Fault(name.strip().lower())
            except ValueError:
                raise UsageError(_unknown_fault(name.strip())) from None
            try:
                prob = float(prob_text) if prob_text else 1.0
            except ValueError:
                raise UsageError(
                    f"bad fault {item!r}: probability after '@' must be a number in 0..1"
                ) from None
            faults[fault] = prob
        return cls(faults, stall_s)

    def describe(self) -> str:
        """The plan in ``parse`` syntax."""
        parts = [f.value if p == 1.0 else f"{f.value}@{p:g}" for f, p in self.faults.items()]
        if Fault.STALL in self.faults or Fault.LATE_HANDSHAKE_COMPLETE in self.faults:
            parts.append(f"stall_s={self.stall_s:g}")
        return ",".join(parts)


def _unknown_fault(name: str) -> str:
    return f"unknown fault {name!r}; faults are {', '.join(f.value for f in Fault)}"


_SWITCH_WORDS: Final = {
    "1": True,
    "on": True,
    "true": True,
    "yes": True,
    "0": False,
    "off": False,
    "false": False,
    "no": False,
}


def parse_switch(name: str, text: str) -> bool:
    """An on/off query value (``1/on/true/yes``, ``0/off/false/no``, any case)."""
    try:
        return _SWITCH_WORDS[text.strip().lower()]
    except KeyError:
        raise UsageError(
            f"{name} must be on or off (1/0, true/false, yes/no), got {text!r}"
        ) from None


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _transports(value: Iterable[str] | str) -> frozenset[str]:
    try:
        names = (value,) if isinstance(value, str) else tuple(value)
        chosen = frozenset(str(n).strip().lower() for n in names)
    except TypeError:
        raise UsageError(f"transports must be a set of names, got {value!r}") from None
    unknown = sorted(chosen - set(CREDENTIAL_TRANSPORTS))
    if unknown or not chosen:
        raise UsageError(
            f"transports must name at least one of {', '.join(CREDENTIAL_TRANSPORTS)}; "
            f"got {sorted(chosen) if chosen else 'none'}"
        )
    return chosen


@dataclass(frozen=True)
class EmulatorConfig:
    """Configuration of the embedded reference service.

    ``auth_close_code`` is 1008 as the current authenticator closes; 1011 mimics the older one
    (PROTOCOL.md §2). ``allow_remote`` must be set to listen anywhere but loopback.

    ``handshake`` emulates the newest generation's handshake (PROTOCOL.md §5) on every connection
    (per connection: ``?handshake=on|off``): after ``connection_established`` the service sends
    ``handshake_response`` and waits up to ``handshake_timeout_s`` (per connection:
    ``?handshake_timeout_s=``) for ``handshake_acknowledged`` before ``handshake_complete``;
    ``netra_diag.emulator.connection`` documents what happens meanwhile and on a timeout.
    """

    host: str = "127.0.0.1"
    port: int = 0
    auth: AuthMode = AuthMode.STRICT
    profile: str = "local"
    secret: str = field(default=LOCAL_DEV_SECRET, repr=False)
    envelope: str = "a"
    timing: TimingProfile = field(default_factory=TimingProfile)
    faults: FaultPlan = field(default_factory=FaultPlan)
    idle_heartbeat_s: float = 15.0
    max_message_size: int = 1 << 20
    seed: int = 0
    tools: tuple[str, ...] = ("cost_analyzer", "log_search", "metrics_query")
    fault_log_path: str | None = None
    auth_close_code: int = 1008
    agent_name: str = "triage"
    server_id: str = "netra-backend-emulator-1"
    ticket_ttl_s: float = 60.0
    transports: AbstractSet[str] | None = None  # kept as a frozenset
    legacy_test_endpoint: bool = True
    compression: bool = True
    allow_remote: bool = False
    handshake: bool = False
    handshake_timeout_s: float = 10.0

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "auth", AuthMode(self.auth))
        except ValueError:
            modes = ", ".join(m.value for m in AuthMode)
            raise UsageError(f"unknown auth mode {self.auth!r}; modes are {modes}") from None
        if self.envelope not in ENVELOPE_CHOICES:
            raise UsageError(
                f"unknown envelope {self.envelope!r}; choose one of {', '.join(ENVELOPE_CHOICES)}"
            )
        if not self.allow_remote and not is_loopback(self.host):
            raise UsageError(
                f"refusing to listen on non-loopback host {self.host!r}: "
                "the reference service is for this machine only "
                "(--allow-remote or allow_remote=True overrides)"
            )
        if not 0 <= self.port <= 65535:
            raise UsageError(f"port must be 0..65535, got {self.port}")
        _finite("idle_heartbeat_s", self.idle_heartbeat_s)
        if self.idle_heartbeat_s == 0:
            raise UsageError("idle_heartbeat_s must be > 0")
        if self.max_message_size < 1024:
            raise UsageError(f"max_message_size must be >= 1024 bytes, got {self.max_message_size}")
        if self.auth_close_code not in (1008, 1011):
            raise UsageError(f"auth_close_code must be 1008 or 1011, got {self.auth_close_code}")
        if not self.tools:
            raise UsageError("tools must name at least one tool")
        if not self.secret:
            raise UsageError("secret must not be empty")
        if _finite("ticket_ttl_s", self.ticket_ttl_s) == 0:
            raise UsageError("ticket_ttl_s must be > 0")
        if self.transports is not None:
            object.__setattr__(self, "transports", _transports(self.transports))
        if _finite("handshake_timeout_s", self.handshake_timeout_s) == 0:
            raise UsageError("handshake_timeout_s must be > 0")

    @property
    def timing_seed(self) -> int:
        return self.seed if self.timing.seed is None else self.timing.seed
