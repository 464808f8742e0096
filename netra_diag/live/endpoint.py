"""The endpoint a live session or fan-out connects to: checked before anything starts
(``check_endpoint``), and what a refused upgrade's status says of its path (``upgrade_hint``).

``check_ws_url`` (tokens) checks the scheme and the host; a port that cannot be one (``:99999``,
``:abc``) got through it and failed later, deep inside the connect: a traceback from ``probe``,
and from ``fanout`` every user counted as a connection failure (exit 5) of a URL that was never
usable. Both are usage errors, said before any service starts or user connects.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from netra_diag.errors import UsageError
from netra_diag.tokens.transports import check_ws_url

__all__ = ["check_endpoint", "upgrade_hint"]


def check_endpoint(url: str) -> None:
    """Raise ``UsageError`` unless ``url`` is a ``ws://``/``wss://`` URL with a host, no
    whitespace or control character, and, if it names one, a port from 1 to 65535. The
    messages show the scheme, host and port only: the rest of a URL may carry a credential."""
    check_ws_url(url)
    parts = urlsplit(url)
    odd = next((i for i, ch in enumerate(url) if ch.isspace() or not ch.isprintable()), None)
    if odd is not None:
        # A space or a newline (a URL pasted with the line's end, a quoted "$URL ") went out in
        # the request line: "did not receive a valid HTTP response", which reads as the server.
        host = parts.hostname or ""
        raise UsageError(
            f"url {parts.scheme}://{host}… has whitespace or a control character at position "
            f"{odd + 1} of {len(url)} ({url[odd]!r}): remove it"
        )
    try:
        bad = parts.port == 0  # 0 asks the OS for any port: a server's, never a client's
    except ValueError:
        bad = True
    if bad:
        host = parts.hostname or ""
        host = f"[{host}]" if ":" in host else host
        shown = parts.netloc.rpartition("@")[2].rpartition(":")[2]
        raise UsageError(
            f"url {parts.scheme}://{host}:{shown}: the port must be a number from 1 to 65535"
        )


def upgrade_hint(status: int | None) -> str | None:
    """What an upgrade refused with 404 or a plain 2xx most likely means: the URL's path is no
    WebSocket endpoint (a typo, the HTTP health check). Said, since "refused with HTTP 200"
    read as the service turning the client away; ``None`` for other statuses."""
    if not isinstance(status, int):
        return None
    endpoints = "/ws or /api/v1/websocket (PROTOCOL.md §1)"
    if status == 404:
        return f"no endpoint at this path: the service's WebSocket endpoints are {endpoints}"
    if 200 <= status < 300:
        return (
            f"this path answers plain HTTP (HTTP {status}), not a WebSocket upgrade: the "
            f"service's WebSocket endpoints are {endpoints}"
        )
    return None
