"""Every error netra_diag raises, under one root.

Callers catch these and never need to import websockets or PyJWT: third-party errors are translated
at the boundary (``raise ... from exc``) so the cause is kept.
Exceptions carry data as attributes and build their message from it (as websockets'
``ConnectionClosed`` and PyJWT's ``MissingRequiredClaimError`` do)::

    NetraDiagError
    ├── UsageError                    bad arguments or configuration given by the user
    │   └── ConfigFileError           a file (SLA, profile, scenario) with a bad line or field
    ├── TokenError
    │   ├── MalformedToken            which part of the JWT is broken, and why
    │   └── TokenRejected             verification failed; carries the explained failures
    ├── SessionError
    │   ├── ConnectFailed             TCP/TLS/DNS failure before any HTTP answer
    │   ├── HandshakeRejected         the upgrade got an HTTP status other than 101
    │   ├── SessionClosed             the socket closed (code, reason, explanation)
    │   └── RunTimeout                a run did not reach a terminal event in time
    ├── RecordingError                a cassette that cannot be read (path, line)
    ├── ReportParseError              a test-results file that cannot be parsed (path, line)
    ├── LatencyDataError              latency samples or a histogram that cannot be used (what, why)
    ├── ContractViolation             raised only by ``ContractReport.raise_for_findings()``
    └── NotebookError                 a papermill run that failed (notebook, cell)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from netra_diag.wording import plural

__all__ = [
    "ConfigFileError",
    "ConnectFailed",
    "ContractViolation",
    "HandshakeRejected",
    "LatencyDataError",
    "MalformedToken",
    "NetraDiagError",
    "NotResultsFile",
    "NotebookError",
    "RecordingError",
    "ReportParseError",
    "RunTimeout",
    "SessionClosed",
    "SessionError",
    "TokenError",
    "TokenRejected",
    "UsageError",
]


class NetraDiagError(Exception):
    """Root of every netra_diag error."""


class UsageError(NetraDiagError):
    """Bad arguments or configuration supplied by the user."""


class ConfigFileError(UsageError):
    """A configuration file (SLA, scenario, profile) with a bad line or field."""

    def __init__(
        self, path: str, reason: str, *, line: int | None = None, field: str | None = None
    ):
        self.path, self.reason, self.line, self.field = path, reason, line, field
        where = path + (f":{line}" if line is not None else "")
        what = f" field {field!r}:" if field else ""
        super().__init__(f"{where}:{what} {reason}")


class TokenError(NetraDiagError):
    """A token could not be minted, parsed or verified."""


class MalformedToken(TokenError):
    """The token is not a well-formed JWS compact serialisation (RFC 7515 §7.1)."""

    def __init__(self, part: str, reason: str):
        self.part, self.reason = part, reason
        super().__init__(f"malformed token: {part}: {reason}")


class TokenRejected(TokenError):
    """Verification failed; ``failures`` holds one explained item per failed rule."""

    def __init__(self, failures: Sequence[Any], fingerprint: str = ""):
        self.failures = tuple(failures)
        self.fingerprint = fingerprint
        lines = "; ".join(str(f) for f in self.failures) or "unknown reason"
        who = f"token {fingerprint} " if fingerprint else "token "
        super().__init__(f"{who}rejected: {lines}")


class SessionError(NetraDiagError):
    """A live session failed."""


class ConnectFailed(SessionError):
    """No HTTP answer at all: refused, unreachable, DNS, TLS, or timed out before the upgrade."""

    def __init__(self, url: str, reason: str):
        self.url, self.reason = url, reason
        super().__init__(f"could not connect to {url}: {reason}")


class HandshakeRejected(SessionError):
    """The server answered the upgrade with an HTTP status other than 101 (RFC 6455 §4.1)."""

    def __init__(self, url: str, status: int, body: str = "", headers: Any = None):
        self.url, self.status, self.body, self.headers = url, status, body, headers
        snippet = f": {body[:200]}" if body else ""
        super().__init__(f"upgrade to {url} refused with HTTP {status}{snippet}")


class SessionClosed(SessionError):
    """The WebSocket closed. ``explanation`` says what this service means by ``code``."""

    def __init__(self, code: int | None, reason: str = "", explanation: str = ""):
        self.code, self.reason, self.explanation = code, reason, explanation
        shown = "no close frame (1006)" if code in (None, 1006) else f"{code}"
        extra = f" {reason!r}" if reason else ""
        why = f": {explanation}" if explanation else ""
        super().__init__(f"connection closed {shown}{extra}{why}")


class RunTimeout(SessionError):
    """A run did not reach a terminal event within its timeout."""

    def __init__(self, timeout: float, last_event: str | None = None):
        self.timeout, self.last_event = timeout, last_event
        after = f" (last event: {last_event})" if last_event else " (no event seen)"
        super().__init__(f"run did not finish within {timeout:g} s{after}")


class RecordingError(NetraDiagError):
    """A cassette (recording) that cannot be read."""

    def __init__(self, path: str, reason: str, *, line: int | None = None):
        self.path, self.reason, self.line = path, reason, line
        where = path + (f":{line}" if line is not None else "")
        super().__init__(f"{where}: {reason}")


class ReportParseError(NetraDiagError):
    """A test-results file (JUnit XML, pytest JSON) that cannot be parsed."""

    def __init__(self, path: str, reason: str, *, line: int | None = None):
        self.path, self.reason, self.line = path, reason, line
        where = path + (f":{line}" if line is not None else "")
        super().__init__(f"{where}: {reason}")


class NotResultsFile(ReportParseError):
    """A file that is no test results at all (a ``coverage.xml``, a ``package.json``): an error
    when given by name; found in a folder of results, it is left out with a warning."""


class LatencyDataError(NetraDiagError):
    """Latency data that cannot be used: missing columns, a malformed or mismatched histogram."""

    def __init__(self, what: str, reason: str):
        self.what, self.reason = what, reason
        super().__init__(f"{what}: {reason}")


class ContractViolation(NetraDiagError):
    """Raised on request by ``ContractReport.raise_for_findings()``."""

    def __init__(self, findings: Sequence[Any], verdict: str = ""):
        self.findings = tuple(findings)
        super().__init__(verdict or f"{plural(len(self.findings), 'contract finding')}")


class NotebookError(NetraDiagError):
    """A papermill run failed."""

    def __init__(self, notebook: str, reason: str, *, cell: int | None = None):
        self.notebook, self.reason, self.cell = notebook, reason, cell
        where = notebook + (f" cell {cell}" if cell is not None else "")
        super().__init__(f"{where}: {reason}")
