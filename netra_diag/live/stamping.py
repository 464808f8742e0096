"""Kernel receive timestamps for a session's socket (Linux ``SO_TIMESTAMPNS``, socket(7)).

A frame's arrival is best timed when the network stack received it, not when the event loop got
round to reading it: with hundreds of sessions on two cores the loop runs late by tens of
milliseconds, and that delay would be measured as the service's latency. On Linux a TCP socket
with ``SO_TIMESTAMPNS`` set returns, with every ``recvmsg``, the kernel's receive time (wall
clock) of the newest data read. ``StampingSocket`` is a ``socket.socket`` whose ``recv`` and
``recv_into`` (the calls asyncio's socket transport makes) use ``recvmsg`` and keep that time in
``rx_realtime_ns``; ``open_stamping_socket`` opens one (the TCP half of
``loop.create_connection``) for ``websockets.connect(sock=...)``.

No library offers this: asyncio's transports call ``recv``/``recv_into`` and drop ancillary data,
so the socket itself must ask for it.

Limits, measured by ``benchmarks/bench_latency_accuracy.py``: while data waits unread the kernel
merges consecutive segments and keeps the newest time, so when the reader is late for several
messages of one connection, the earlier ones get the time of the last one (still no later than
the read itself: never worse than stamping at the read). Elsewhere (not Linux, or an
architecture with other socket option numbers) ``SUPPORTED`` is false and sessions stamp at the
read, as before.
"""

from __future__ import annotations

import asyncio
import functools
import platform
import socket
import struct
import sys
import weakref
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

__all__ = [
    "SUPPORTED",
    "StampingListener",
    "StampingSocket",
    "accepted_socket",
    "open_stamping_listener",
    "open_stamping_socket",
    "rx_age_ns",
]

# SO_TIMESTAMPNS(_OLD) from asm-generic/socket.h: 64-bit architectures using the generic numbers
# (not alpha, mips, parisc or sparc). The control message holds a struct timespec (two longs).
_SO_TIMESTAMPNS = 35
_GENERIC_64 = frozenset({"x86_64", "amd64", "aarch64", "arm64", "riscv64", "ppc64le", "s390x"})
SUPPORTED: bool = sys.platform == "linux" and platform.machine().lower() in _GENERIC_64
_TIMESPEC = struct.Struct("@qq")
_ANC_SIZE = socket.CMSG_SPACE(_TIMESPEC.size) if SUPPORTED else 0
# A kernel stamp older than this (or in the future) means the wall clock was stepped between the
# packet and the read: the read time is used instead.
_MAX_AGE_NS = 60 * 1_000_000_000


class StampingSocket(socket.socket):
    """A stream socket that keeps the kernel receive time of its last read (see module doc).

    ``rx_realtime_ns`` is the wall-clock time (``time.time_ns`` scale) at which the kernel
    received the newest data returned by the last ``recv``/``recv_into``, or ``None`` when that
    read carried no timestamp (timestamps off, or data queued before they were turned on).
    """

    __slots__ = ("rx_realtime_ns",)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.rx_realtime_ns: int | None = None

    def enable_timestamps(self) -> bool:
        """Ask the kernel for receive timestamps; ``False`` if it refuses (then none are kept)."""
        if not SUPPORTED:
            return False
        try:
            self.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMPNS, 1)
        except OSError:
            return False
        return True

    def recv(self, bufsize: int, flags: int = 0, /) -> bytes:
        data, ancdata, _flags, _address = self.recvmsg(bufsize, _ANC_SIZE, flags)
        self.rx_realtime_ns = _timestamp(ancdata)
        return data

    def recv_into(self, buffer: WriteableBuffer, nbytes: int = 0, flags: int = 0, /) -> int:
        view = memoryview(buffer)
        if nbytes:
            view = view[:nbytes]
        n, ancdata, _flags, _address = self.recvmsg_into([view], _ANC_SIZE, flags)
        self.rx_realtime_ns = _timestamp(ancdata)
        return n


# The stamping sockets a ``StampingListener`` accepted, by file descriptor, so that the protocol
# asyncio builds for each (which sees only a ``TransportSocket`` wrapper) can find its own: a
# descriptor is reused only after its socket is closed, and the next accept on it replaces it.
_ACCEPTED: weakref.WeakValueDictionary[int, StampingSocket] = weakref.WeakValueDictionary()


class StampingListener(socket.socket):
    """A listening socket whose accepted connections are ``StampingSocket``s with receive
    timestamps on (asyncio's ``create_server(sock=...)`` accepts through ``accept``): a server's
    way to time when a request arrived rather than when its loop got round to it."""

    __slots__ = ()

    def accept(self) -> tuple[socket.socket, Any]:
        fd, address = self._accept()  # type: ignore[attr-defined]
        sock = StampingSocket(self.family, self.type, self.proto, fileno=fd)
        # (as socket.accept does: a listener with a timeout would give a non-blocking socket)
        if socket.getdefaulttimeout() is None and self.gettimeout():
            sock.setblocking(True)
        sock.enable_timestamps()
        _ACCEPTED[fd] = sock
        return sock, address


def accepted_socket(fileno: int) -> StampingSocket | None:
    """The ``StampingSocket`` a ``StampingListener`` accepted on ``fileno``, if it is still open."""
    sock = _ACCEPTED.get(fileno)
    return sock if sock is not None and sock.fileno() == fileno else None


def open_stamping_listener(host: str, port: int) -> StampingListener | None:
    """A bound ``StampingListener`` on ``host:port`` for ``loop.create_server(sock=...)``, set up
    as asyncio sets up its own (``SO_REUSEADDR``, IPv6-only for an IPv6 address); ``None`` where
    stamps are not supported or ``host`` is not an IP literal (a name may stand for several
    addresses, which asyncio then listens on itself)."""
    if not SUPPORTED:
        return None
    infos = _numeric_address(host.strip("[]"), port)
    if not infos:
        return None
    family, type_, proto, _name, address = infos[0]
    sock = StampingListener(family, type_, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(address)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def _timestamp(ancdata: list[tuple[int, int, bytes]]) -> int | None:
    for level, kind, data in ancdata:
        if level == socket.SOL_SOCKET and kind == _SO_TIMESTAMPNS and len(data) == _TIMESPEC.size:
            sec, nsec = _TIMESPEC.unpack(data)
            return int(sec) * 1_000_000_000 + int(nsec)
    return None


def rx_age_ns(rx_realtime_ns: int | None, now_realtime_ns: int) -> int | None:
    """How long before ``now_realtime_ns`` the kernel received the data, or ``None`` when unknown
    or implausible (the wall clock was stepped in between)."""
    if rx_realtime_ns is None:
        return None
    age = now_realtime_ns - rx_realtime_ns
    return age if 0 <= age < _MAX_AGE_NS else None


@functools.lru_cache(maxsize=64)
def _numeric_address(host: str, port: int) -> tuple[Any, ...] | None:
    """The address of an IP literal (``127.0.0.1``, ``::1``) without a resolver: as
    ``loop.create_connection`` does, so a loopback connect does not cost a round trip through
    the default executor's thread (``loop.getaddrinfo``). ``None`` for a host name. Kept per
    (host, port): what an IP literal resolves to never changes, and a fan-out asks it for
    every session (``socket.getaddrinfo`` encodes the host with the IDNA codec each time)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
    except (socket.gaierror, UnicodeError, ValueError):
        return None
    return tuple(infos)


async def open_stamping_socket(host: str, port: int) -> StampingSocket:
    """A connected, non-blocking ``StampingSocket`` to ``host:port`` (each resolved address in
    turn, as ``loop.create_connection`` does), with receive timestamps turned on.

    Raises ``OSError`` like ``loop.create_connection``: the error itself when one address was
    tried, else one listing every attempt's error."""
    loop = asyncio.get_running_loop()
    infos = _numeric_address(host, port) or await loop.getaddrinfo(
        host, port, type=socket.SOCK_STREAM
    )
    if not infos:
        raise OSError("getaddrinfo() returned empty list")
    errors: list[OSError] = []
    for family, type_, proto, _name, address in infos:
        sock = StampingSocket(family, type_, proto)
        try:
            sock.setblocking(False)
            await loop.sock_connect(sock, address)
        except OSError as exc:
            sock.close()
            errors.append(exc)
            continue
        except BaseException:
            sock.close()
            raise
        sock.enable_timestamps()
        return sock
    if len(errors) == 1 or len({str(e) for e in errors}) == 1:
        raise errors[0]
    raise OSError(f"Multiple exceptions: {', '.join(str(e) for e in errors)}")
