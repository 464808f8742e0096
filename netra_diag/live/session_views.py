"""What a live session has seen, read-only: the handshake, the auth verdict, the transport
attempts, marks, every frame received, the close, RTT samples, the clock offset and the recording.

``Session`` (:mod:`netra_diag.live.session`) inherits these views; they only read its
``Connection``, so nothing here sends, receives or closes anything.
"""

from __future__ import annotations

from pathlib import Path

from netra_diag.closecodes import CloseInfo
from netra_diag.errors import SessionClosed
from netra_diag.events.model import TimedEvent
from netra_diag.live.auth_verdict import AuthVerdict
from netra_diag.live.connection import Connection
from netra_diag.live.handshake import HandshakeInfo, TransportAttempt
from netra_diag.live.records import ClockOffset, Mark

__all__ = ["SessionViews"]


class SessionViews:
    """Read-only views over a session's connection (the base of ``Session``)."""

    _conn: Connection

    @property
    def url(self) -> str:
        return self._conn.url

    @property
    def handshake(self) -> HandshakeInfo:
        hs = self._conn.handshake
        if hs is None:
            raise SessionClosed(None, "", "the session never connected")
        return hs

    @property
    def auth(self) -> AuthVerdict:
        verdict = self._conn.auth
        if verdict is None:
            raise SessionClosed(None, "", "the session never connected")
        return verdict

    @property
    def transport(self) -> str | None:
        return self._conn.transport

    @property
    def attempts(self) -> tuple[TransportAttempt, ...]:
        return tuple(self._conn.attempts)

    @property
    def marks(self) -> tuple[Mark, ...]:
        return tuple(self._conn.marks)

    @property
    def history(self) -> tuple[TimedEvent, ...]:
        return tuple(self._conn.history)

    @property
    def own_history(self) -> tuple[TimedEvent, ...]:
        """``history`` without the frames of the sockets ``auto`` tried and did not keep (the
        error frame of a transport the server refused, the greeting of one that connected as
        someone else): what the session itself received, reconnects included. The contract
        checks judge these; the attempts are in ``attempts`` and in the recording."""
        dropped = self._conn.abandoned_frames
        if not dropped:
            return tuple(self._conn.history)
        return tuple(te for te in self._conn.history if te.index not in dropped)

    @property
    def close_info(self) -> CloseInfo | None:
        return self._conn.close_info

    @property
    def rtt_ms(self) -> tuple[float, ...]:
        return tuple(self._conn.rtt_ms)

    @property
    def clock_offset(self) -> ClockOffset | None:
        return self._conn.clock_offset

    @property
    def is_open(self) -> bool:
        return self._conn.is_open

    def closed_for_good(self) -> bool:
        """Closed with no reconnect coming: a run now would only report the same close."""
        return self._conn.closed_for_good()

    @property
    def user_id(self) -> str | None:
        """The user id the server assigned (may be truncated or synthetic)."""
        hs = self._conn.handshake
        return hs.server_user_id if hs else None

    @property
    def token_sub(self) -> str | None:
        return self._conn.token_sub

    @property
    def token_fingerprint(self) -> str | None:
        token = self._conn.token
        return self._conn.fingerprint_of(token) if token else None

    @property
    def recording_path(self) -> Path | None:
        rec = self._conn._recorder
        return rec.path if rec is not None else None

    @property
    def reconnects(self) -> int:
        return self._conn.reconnects
