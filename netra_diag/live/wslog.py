"""websockets' logger for a session, scrubbed.

At DEBUG level websockets logs the opening request line (which carries ``?token=`` or
``?ticket=`` for the query and ticket transports) and every request header
(``Authorization: Bearer …``). A user who turns debug logging on to see the handshake must not
get the credential in their log: each record is formatted here and scrubbed (JWT-shaped strings
and the session's own secrets, ``netra_diag.redaction.scrub``) before any handler sees it.
"""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from typing import Any

from netra_diag.redaction import scrub

__all__ = ["ScrubbingLogger"]


class ScrubbingLogger(logging.LoggerAdapter[logging.Logger]):
    def __init__(self, secrets: tuple[str, ...], name: str = "websockets.client") -> None:
        super().__init__(logging.getLogger(name), {})
        self._secrets = secrets

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        if not self.isEnabledFor(level):
            return
        try:
            text = str(msg) % args if args else str(msg)
        except (TypeError, ValueError):
            text = " ".join(str(part) for part in (msg, *args))
        self.logger.log(level, "%s", scrub(text, self._secrets), **kwargs)

    def process(
        self, msg: Any, kwargs: MutableMapping[str, Any]
    ) -> tuple[Any, MutableMapping[str, Any]]:
        return msg, kwargs
