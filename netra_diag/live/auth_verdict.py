"""Did the server really validate our token? Compare the user id it assigned with the token's
``sub`` (PROTOCOL.md §2, "Permissive auth": DEMO/RELAXED/EMERGENCY modes accept anything and hand
out synthetic ids, so a successful connect proves nothing by itself)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from netra_diag.closecodes import AUTH_FAILURE_CODES, AUTH_REFUSED_STATUSES
from netra_diag.errors import HandshakeRejected, SessionClosed
from netra_diag.synthetic_users import SYNTHETIC_USER, is_synthetic_user, strip_truncation

__all__ = [
    "AUTH_REFUSED_STATUSES",
    "SYNTHETIC_USER_PATTERN",
    "AuthVerdict",
    "auth_refusal",
    "closed_after_auth_failed",
    "is_synthetic_user",
    "judge_auth",
    "mark_auth_failed",
    "same_user",
]

# (the synthetic ids themselves, and how the service truncates ids, are netra_diag.synthetic_users')
SYNTHETIC_USER_PATTERN = SYNTHETIC_USER
# How much of a truncated id must be left to compare it with a token's subject.
_MIN_SHOWN = 4


def same_user(user_id: str, sub: str) -> bool:
    """``user_id`` (as an event or ``connection_established`` shows it, possibly truncated:
    ``user-12…``) names the token subject ``sub``."""
    shown = strip_truncation(user_id)
    if shown == sub:
        return True
    return shown != user_id.strip() and len(shown) >= _MIN_SHOWN and sub.startswith(shown)


@dataclass(frozen=True, slots=True)
class AuthVerdict:
    """``validated``: the server's user matches the token's ``sub`` (``None``: cannot tell).
    ``bypass``: the server let us in as someone other than the token's subject (a synthetic id
    or a mismatch), i.e. authentication was not really exercised."""

    server_user_id: str | None
    token_sub: str | None
    validated: bool | None
    bypass: bool
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "server_user_id": self.server_user_id,
            "token_sub": self.token_sub,
            "validated": self.validated,
            "bypass": self.bypass,
            "reason": self.reason,
        }

    def __str__(self) -> str:
        if self.bypass:
            state = "BYPASS"
        elif self.validated is None:
            state = "unknown"
        else:
            state = "validated" if self.validated else "not validated"
        return f"{state}: {self.reason}"


def judge_auth(server_user_id: str | None, token_sub: str | None) -> AuthVerdict:
    """Compare the server-assigned user id (possibly truncated: compared by prefix) with ``sub``."""
    if server_user_id is None or not str(server_user_id).strip():
        return AuthVerdict(
            None,
            token_sub,
            None,
            False,
            "the server reported no user id (no connection_established frame with data.user_id)",
        )
    server = str(server_user_id)
    shown = strip_truncation(server)
    if is_synthetic_user(server):
        who = f"token sub {token_sub!r}" if token_sub else "no token"
        return AuthVerdict(
            server,
            token_sub,
            False,
            True,
            f"server assigned the synthetic id {server!r} ({who}): permissive auth "
            "(DEMO/RELAXED/EMERGENCY) let the connection in without validating a token",
        )
    if token_sub is None:
        return AuthVerdict(
            server,
            None,
            None,
            False,
            f"server assigned {server!r} but no readable token sub to compare with",
        )
    if shown and (token_sub == shown or token_sub.startswith(shown)):
        if token_sub == shown:
            says = f"server user {server!r} matches the token's sub"
        else:  # connection_established shows the user id cut short (PROTOCOL.md §5)
            says = f"server user {server!r} matches the token's sub {token_sub!r} (shown cut short)"
        return AuthVerdict(server, token_sub, True, False, says)
    return AuthVerdict(
        server,
        token_sub,
        False,
        True,
        f"server user {server!r} does not match token sub {token_sub!r}: the server did not "
        "authenticate the token's subject",
    )


# Set on a ``SessionClosed`` raised while opening right after the server said ``AUTH_FAILED``.
_AFTER_AUTH_FAILED = "after_auth_failed"


def mark_auth_failed(exc: SessionClosed) -> SessionClosed:
    """Note on ``exc`` that the socket closed right after an ``AUTH_FAILED`` error frame: the
    credentials were refused whatever the close code, e.g. the 1011 that one older
    authenticator closes with instead of 1008 (PROTOCOL.md §2). Returns ``exc``."""
    setattr(exc, _AFTER_AUTH_FAILED, True)
    return exc


def closed_after_auth_failed(exc: BaseException) -> bool:
    """``exc`` is a close that followed an ``AUTH_FAILED`` frame (``mark_auth_failed``)."""
    return isinstance(exc, SessionClosed) and getattr(exc, _AFTER_AUTH_FAILED, False) is True


def auth_refusal(exc: BaseException) -> str | None:
    """How the server refused our credentials, if ``exc`` says it did: a close with 1008 (main
    mode accepts, sends ``AUTH_FAILED`` and closes, PROTOCOL.md §2), any close right after an
    ``AUTH_FAILED`` frame (``mark_auth_failed``: the older authenticator's 1011), or an upgrade
    refused with HTTP 401/403 (factory mode, the ticket endpoint):
    ``"closed 1008 'Authentication failed'"``,
    ``"HTTP 403"``. ``None`` for any other failure (a lost connection, a timeout, another
    status), which is not an authentication problem."""
    if isinstance(exc, SessionClosed) and exc.code in AUTH_FAILURE_CODES:
        return f"closed {exc.code}" + (f" {exc.reason!r}" if exc.reason else "")
    if isinstance(exc, SessionClosed) and closed_after_auth_failed(exc):
        shown = "no close frame (1006)" if exc.code in (None, 1006) else f"{exc.code}"
        return f"AUTH_FAILED, closed {shown}" + (f" {exc.reason!r}" if exc.reason else "")
    if isinstance(exc, HandshakeRejected) and exc.status in AUTH_REFUSED_STATUSES:
        return f"HTTP {exc.status}"
    return None
