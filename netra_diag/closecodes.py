"""What a WebSocket close code means: per RFC 6455 §7.4 and per this service (PROTOCOL.md §6).

Pure: no I/O, no clock. ``CloseInfo`` gathers everything known about one close (the code, the
reason, the last frames before it, how the token's expiry and the last pong relate to it) and
``CloseInfo.explanation()`` turns it into a sentence an engineer can act on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ABNORMAL_CLOSURE",
    "AUTH_FAILURE_CODES",
    "AUTH_REFUSED_STATUSES",
    "AUTH_STAGE_CLOSE_CODES",
    "RFC_MEANINGS",
    "SERVICE_MEANINGS",
    "CloseInfo",
    "explain_close",
    "rfc_meaning",
    "service_meaning",
]

# RFC 6455 §7.4.1 (and the IANA registry that extends it: 1012–1015).
RFC_MEANINGS: Mapping[int, str] = {
    1000: "normal closure",
    1001: "going away (endpoint shutting down or navigating away)",
    1002: "protocol error",
    1003: "unsupported data (a type the endpoint cannot accept)",
    1004: "reserved",
    1005: "no status code present (reserved; never sent in a close frame)",
    1006: "abnormal closure: the connection dropped without a close frame (reserved; never sent)",
    1007: "invalid frame payload data (e.g. non-UTF-8 text)",
    1008: "policy violation",
    1009: "message too big",
    1010: "mandatory extension missing (client side)",
    1011: "internal error: the server hit an unexpected condition",
    1012: "service restart",
    1013: "try again later",
    1014: "bad gateway",
    1015: "TLS handshake failure (reserved; never sent)",
}

# PROTOCOL.md §6 (and §2 for 1003/1008/1011 around authentication).
SERVICE_MEANINGS: Mapping[int, str] = {
    1000: "normal cleanup: the client or the server ended the session on purpose",
    1001: "going away or startup timeout (the service was not ready in time)",
    1002: "protocol error, e.g. the server did not echo the token-bearing subprotocol",
    1003: "none of the offered subprotocols is supported ('No supported subprotocols')",
    1006: (
        "no close frame: network failure, proxy or load-balancer cut, server crash or a "
        "Cloud Run instance restart"
    ),
    1008: (
        "authentication failed or pre-auth required: no credentials reached the service, or "
        "it rejected the token (the web front end never reconnects after this)"
    ),
    1009: "message too big (the service's limit is 1 MiB)",
    1011: (
        "internal error: service not ready, factory initialisation failed or the handler "
        "crashed (one older authenticator also closes 1011 on auth errors)"
    ),
}

ABNORMAL_CLOSURE = 1006
# How the server refuses credentials, in one place for the live client and for triage of
# recorded sessions (PROTOCOL.md §2): main mode accepts, sends AUTH_FAILED and closes with one of
# these codes (after which the web front end never reconnects, §6) ...
AUTH_FAILURE_CODES: frozenset[int] = frozenset({1008})
# ... factory mode refuses the upgrade itself, and the ticket endpoint answers 401.
AUTH_REFUSED_STATUSES: frozenset[int] = frozenset({401, 403})
# Closes that end a session at authentication: the credentials refused, or the subprotocol that
# carries them not echoed (1002, as Chromium closes) or not supported (1003), §2.
AUTH_STAGE_CLOSE_CODES: frozenset[int] = AUTH_FAILURE_CODES | {1002, 1003}


def rfc_meaning(code: int | None) -> str:
    """RFC 6455 §7.4 meaning of ``code`` (``None`` is treated as 1006: no close frame)."""
    if code is None:
        code = ABNORMAL_CLOSURE
    if code in RFC_MEANINGS:
        return RFC_MEANINGS[code]
    if 0 <= code < 1000:
        return "not a valid close code (0–999 are unused)"
    if 1000 <= code < 3000:
        return "reserved for the WebSocket protocol but unassigned"
    if 3000 <= code < 4000:
        return "registered with IANA for libraries, frameworks and applications"
    if 4000 <= code < 5000:
        return "private use (application-defined)"
    return "not a valid close code"


def service_meaning(code: int | None) -> str:
    """What this service uses ``code`` for (PROTOCOL.md §6), or ``""`` when it does not use it."""
    if code is None:
        code = ABNORMAL_CLOSURE
    return SERVICE_MEANINGS.get(code, "")


def explain_close(code: int | None, reason: str = "") -> str:
    """One line: ``"1011 internal error …: <service meaning> (reason: 'x')"``."""
    shown = f"{ABNORMAL_CLOSURE}" if code is None else f"{code}"
    text = f"{shown} {rfc_meaning(code)}"
    svc = service_meaning(code)
    if svc:
        text += f"; here: {svc}"
    if reason:
        text += f" (reason: {reason!r})"
    return text


@dataclass(frozen=True, slots=True)
class CloseInfo:
    """Everything known about one close of a session's connection.

    ``code`` is ``1006`` when no close frame arrived. ``token_exp_delta_s`` is the token's ``exp``
    minus the wall time of the close: negative means the token had already expired when the
    connection closed. ``since_last_pong_s`` is the client-clock time from the last pong (WebSocket
    pong or app-level ``pong``) to the close, ``None`` when no pong was ever received.
    ``last_frames`` are the last (up to 5) frames before the close, scrubbed, as ``"← text"`` /
    ``"→ text"``. ``initiated_by`` is ``"server"``, ``"client"`` or ``"none"`` (no close frame).
    """

    code: int
    reason: str = ""
    rfc_meaning: str = ""
    service_meaning: str = ""
    last_frames: tuple[str, ...] = ()
    token_expired_before_close: bool | None = None
    token_exp_delta_s: float | None = None
    since_last_pong_s: float | None = None
    since_last_frame_s: float | None = None
    initiated_by: str = "server"
    t: float | None = None
    wall: float | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        code: int | None,
        reason: str = "",
        *,
        last_frames: tuple[str, ...] = (),
        token_exp: float | None = None,
        close_wall: float | None = None,
        close_t: float | None = None,
        last_pong_t: float | None = None,
        last_frame_t: float | None = None,
        initiated_by: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> CloseInfo:
        """Assemble a ``CloseInfo``; ``*_t`` are seconds on the same client clock as ``close_t``."""
        real = ABNORMAL_CLOSURE if code is None else code
        delta = None
        expired = None
        if token_exp is not None and close_wall is not None:
            delta = token_exp - close_wall
            expired = delta < 0
        since_pong = None
        if last_pong_t is not None and close_t is not None:
            since_pong = max(0.0, close_t - last_pong_t)
        since_frame = None
        if last_frame_t is not None and close_t is not None:
            since_frame = max(0.0, close_t - last_frame_t)
        by = initiated_by or ("none" if real == ABNORMAL_CLOSURE else "server")
        return cls(
            code=real,
            reason=reason,
            rfc_meaning=rfc_meaning(real),
            service_meaning=service_meaning(real),
            last_frames=tuple(last_frames[-5:]),
            token_expired_before_close=expired,
            token_exp_delta_s=delta,
            since_last_pong_s=since_pong,
            since_last_frame_s=since_frame,
            initiated_by=by,
            t=close_t,
            wall=close_wall,
            extra=dict(extra or {}),
        )

    @property
    def is_auth_failure(self) -> bool:
        """True for 1008: the front end never reconnects after it."""
        return self.code in AUTH_FAILURE_CODES

    @property
    def is_normal(self) -> bool:
        return self.code in (1000, 1001)

    def explanation(self) -> str:
        """A few sentences: what the code means, what the service uses it for, and the context."""
        parts = [f"Closed {self.code}"]
        if self.reason:
            parts[0] += f" {self.reason!r}"
        if self.initiated_by == "client":
            parts[0] += " by the client"
        elif self.initiated_by == "none":
            parts[0] += " without a close frame"
        parts[0] += f": {self.rfc_meaning}."
        if self.service_meaning:
            parts.append(f"This service uses it for: {self.service_meaning}.")
        if self.token_exp_delta_s is not None:
            if self.token_expired_before_close:
                parts.append(
                    f"The token had expired {-self.token_exp_delta_s:.1f} s before the close."
                )
            else:
                parts.append(f"The token was still valid for {self.token_exp_delta_s:.1f} s.")
        if self.since_last_pong_s is not None:
            parts.append(f"Last pong {self.since_last_pong_s:.2f} s before the close.")
        elif self.code == ABNORMAL_CLOSURE:
            parts.append("No pong was received before the close.")
        if self.since_last_frame_s is not None:
            parts.append(f"Last frame received {self.since_last_frame_s:.2f} s before the close.")
        if self.last_frames and not (self.initiated_by == "client" and self.is_normal):
            parts.append("Last frames: " + " | ".join(f[:160] for f in self.last_frames))
        return " ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view (for recordings and ``--json`` output)."""
        return {
            "code": self.code,
            "reason": self.reason,
            "rfc_meaning": self.rfc_meaning,
            "service_meaning": self.service_meaning,
            "initiated_by": self.initiated_by,
            "token_expired_before_close": self.token_expired_before_close,
            "token_exp_delta_s": self.token_exp_delta_s,
            "since_last_pong_s": self.since_last_pong_s,
            "since_last_frame_s": self.since_last_frame_s,
            "last_frames": list(self.last_frames),
            "explanation": self.explanation(),
        }
