"""The nine failure categories of PROTOCOL.md §9, recognised from a failing test's report.

Each rule looks at the exception type, the message and the traceback's last lines (where the
real error usually is) and, when one matches, says why in words. Rules run in a fixed order
because some symptoms overlap: ``extra_headers`` in a ``TypeError`` is a websockets API change,
not token-helper drift; a 1008 after a subprotocol offer is a subprotocol problem, not a secret.
Category 9 (vacuous passes) is about tests that did *not* fail; ``netra_diag.suites.vacuous``
finds those.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from netra_diag.closecodes import AUTH_FAILURE_CODES, AUTH_REFUSED_STATUSES
from netra_diag.suites.model import TestCase

__all__ = ["Category", "CategoryMatch", "categorise", "category_label", "evidence_of"]


class Category(StrEnum):
    TOKEN_HELPER_DRIFT = "token_helper_drift"  # §9.1
    SECRET_CLAIM_MISMATCH = "secret_claim_mismatch"  # §9.2
    SUBPROTOCOL_FORMAT = "subprotocol_format"  # §9.3
    SETUP_METHOD_AWAIT = "setup_method_await"  # §9.4
    WEBSOCKETS_API = "websockets_api"  # §9.5
    IMPORT_CONFIG = "import_config"  # §9.6
    INTERNAL_1011 = "internal_1011"  # §9.7
    INFRASTRUCTURE = "infrastructure"  # §9.8
    VACUOUS_PASS = "vacuous_pass"  # §9.9
    # Not in §9's list, but common in the same suites and worth naming rather than "other":
    EVENT_CONTRACT = "event_contract"  # §5: events missing, out of order, fields absent
    SLA = "sla"  # §8: latency, throughput, reconnection numbers
    OTHER = "other"


_LABELS = {
    Category.TOKEN_HELPER_DRIFT: "token helper signature drift",
    Category.SECRET_CLAIM_MISMATCH: "secret or claim mismatch",
    Category.SUBPROTOCOL_FORMAT: "subprotocol format",
    Category.SETUP_METHOD_AWAIT: "setUp vs setup_method / never awaited",
    Category.WEBSOCKETS_API: "websockets API change",
    Category.IMPORT_CONFIG: "import/config error at collection",
    Category.INTERNAL_1011: "1011 internal error",
    Category.INFRASTRUCTURE: "timeout or infrastructure",
    Category.VACUOUS_PASS: "vacuous pass",
    Category.EVENT_CONTRACT: "event contract (§5)",
    Category.SLA: "SLA breach (§8)",
    Category.OTHER: "uncategorised",
}


def category_label(category: Category) -> str:
    """The human name used in headlines ("token helper signature drift")."""
    return _LABELS[category]


@dataclass(frozen=True, slots=True)
class CategoryMatch:
    category: Category
    reason: str

    @property
    def label(self) -> str:
        return _LABELS[self.category]


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.I)


_KWARG = re.compile(
    r"unexpected (?:keyword argument|option|argument|parameter) '(\w+)'"
    r"|missing \d+ required \w* ?argument"
)
_TOKENISH = _rx(r"token|jwt|auth")
_WS_API = _rx(
    r"extra_headers|additional_headers|InvalidStatusCode|has no attribute '(?:closed|open|"
    r"state|recv_messages|messages)'|websockets\.(?:legacy|client)\b.*deprecat"
    r"|cannot import name '(?:InvalidStatusCode|WebSocketClientProtocol|connect)'"
)
_SETUP = re.compile(  # case matters: setUp is unittest's, "setup" is any fixture
    r"was never awaited|coroutine '[^']*' was never|\bsetup_method\b|\bsetUp\b"
    r"|It is deprecated to return a value that is not None from a test case"
    r"|'coroutine' object (?:has no attribute|is not)"
)
# pytest >= 8.4 fails an async test no plugin runs (before, it skipped it with a warning).
_NO_ASYNC_PLUGIN = re.compile(r"async def functions are not natively supported")
# The test instance lacks an attribute its set-up should have made: the set-up never ran.
_TEST_ATTR = re.compile(r"'Test\w*' object has no attribute '\w+'")
_IMPORT = _rx(
    r"\b(?:ModuleNotFoundError|ImportError)\b|cannot import name|No module named"
    r"|\bConfig(?:uration)?Error\b|ImproperlyConfigured"
    # an environment variable's name, upper case: KeyError: 'user_id' is a test's own bug
    r"|(?-i:KeyError: '[A-Z][A-Z0-9_]+')"
)
_SUBPROTOCOL = _rx(
    r"subprotocol|\b1003\b|NegotiationError|Sec-WebSocket-Protocol|\bjwt-auth\b"
    r"|\bjwt\.(?:eyJ|ZXlK|<)"
)
# A message names a refusal by the close code or upgrade status the live client reads as one.
_REFUSED_CLOSE = "|".join(map(str, sorted(AUTH_FAILURE_CODES)))
_REFUSED_STATUS = "|".join(map(str, sorted(AUTH_REFUSED_STATUSES)))
_SECRET = _rx(
    rf"HTTP (?:{_REFUSED_STATUS})\b|\b(?:{_REFUSED_STATUS}) Forbidden|\b(?:{_REFUSED_CLOSE})\b"
    r"|policy violation|Authentication failed"
    r"|InvalidSignature|Signature verification failed|Invalid (?:issuer|audience)"
    r"|InvalidIssuer|InvalidAudience|token_type|JWT_SECRET|AUTH_FAILED|ExpiredSignature"
    r"|Signature has expired|Not enough segments|DecodeError|TokenRejected"
)
_BYPASS = _rx(
    r"more successes than expected|(?:accepted|succeeded|connected)\b.{0,60}\b(?:invalid|bad|"
    r"expired|forged|wrong|without (?:a )?)[ -]?token|demo-user-001|DEMO mode|relaxed_\d"
    r"|not the token'?s? sub|synthetic user"
)
_INTERNAL = _rx(r"\b1011\b|internal error|Internal Server Error")
_INFRA = _rx(
    # A timeout by name (TimeoutError, ReadTimeout, pytest-timeout's "Timeout (>10.0s)"), or the
    # word in prose; not a setting the test reads (settings.timeout, timeout=30, timeout: 30).
    r"(?-i:Timeout)|(?<![.\w])timeout\b(?!\s*[=:,)\]])|timed out|"
    # a gateway status said as one: HTTP 503, status code 502; not "assert 502 == 503"
    r"(?:HTTP|status|code|response)\W{0,3}(?:code\W{0,2})?50[234]\b|"
    r"Service Unavailable|Bad Gateway|Gateway Time-?out|Connection ?Refused|"
    r"Connect call failed|Errno 111|Errno 110|Name or service not known|getaddrinfo|"
    r"\b1006\b|no close frame|ConnectFailed|not running|unreachable|cold start|"
    r"Network is unreachable|ConnectionResetError|BrokenPipe|RunTimeout|"
    # node's (and libuv's) names for the same: connect ECONNREFUSED 127.0.0.1:8000
    r"\b(?-i:ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|"
    r"EPIPE)\b|socket hang up"
)


_CONTRACT = _rx(
    r"\b(?:agent_started|agent_thinking|tool_executing|tool_completed|agent_completed|final_report)"
    r"\b|required field|out of order|cross-user|contamination|received 0 events|events? in total"
)
_SLA = _rx(r"events/s|\bp9[59]\b|latency|reconnect(?:ion)? took|took [\d.]+ ?m?s \(>|\bSLAs?\b")
_WRAPPED = re.compile(r'^failed on (?:setup|teardown) with "(.*)"$', re.S)
# Where a frame points: "test_x.py:504: AssertionError", "at f (app.test.js:1006:3)". The line
# number is no evidence: a failing assert on line 504 is no gateway timeout, nor one on line
# 1011 an internal error.
_LOCATION = re.compile(
    r"(\.(?:py|pyx|js|mjs|cjs|jsx|ts|tsx|mts|cts|java|kt|scala|go|rb|cs|rs)):\d+(?::\d+)?\b"
)
_UNITTEST = re.compile(r"testMethod=|unittest[./]")


def evidence_of(case: TestCase) -> str:
    """The lines that say what went wrong: the message, pytest's ``E`` lines and the last line of
    the body. Source lines quoted in a traceback are left out: ``subprotocols=protocols`` in the
    code that failed to connect says nothing about why it failed."""
    problem = case.primary
    if problem is None:
        return ""
    text = problem.text[-6000:]
    lines = text.splitlines()
    e_lines = [ln for ln in lines if ln.startswith("E ")]
    if not e_lines:  # node/jest/JUnit stacks: the message leads the body
        e_lines = [ln for ln in lines[:3] if ln.strip()]
    last = lines[-1] if lines else ""
    message = _WRAPPED.sub(r"\1", problem.message)  # pytest's 'failed on setup with "..."'
    return _LOCATION.sub(r"\1", "\n".join([problem.type, message, *e_lines[-12:], last]))


def categorise(case: TestCase, evidence: str | None = None) -> CategoryMatch:
    """The §9 category of a failing test, with the reason in words."""
    text = evidence if evidence is not None else evidence_of(case)
    problem = case.primary
    phase = problem.phase if problem else ""
    body = problem.text if problem else ""
    if m := _WS_API.search(text):
        return CategoryMatch(
            Category.WEBSOCKETS_API,
            f"uses an API that websockets ≥ 15 changed ({m.group(0).strip()!r})",
        )
    kwarg = _KWARG.search(text)
    if kwarg and _TOKENISH.search(text):
        name = kwarg.group(1)
        what = f"a parameter it does not take ({name!r})" if name else "the wrong arguments"
        return CategoryMatch(Category.TOKEN_HELPER_DRIFT, f"a token helper was called with {what}")
    if _NO_ASYNC_PLUGIN.search(text):
        return CategoryMatch(
            Category.SETUP_METHOD_AWAIT,
            "an async test ran with no async plugin active (pytest-asyncio not installed or "
            "not enabled): its coroutine was never awaited, its body never ran",
        )
    if m := _SETUP.search(text):
        return CategoryMatch(
            Category.SETUP_METHOD_AWAIT,
            f"test set-up never ran or a coroutine was not awaited ({_short(m.group(0))})",
        )
    if m := _TEST_ATTR.search(text):
        style = (
            "unittest.TestCase classes get setUp, not setup_method"
            if _UNITTEST.search(body)
            else "plain test classes get setup_method, not setUp"
        )
        return CategoryMatch(
            Category.SETUP_METHOD_AWAIT,
            f"the test's set-up never ran ({_short(m.group(0))}): under pytest {style}",
        )
    if phase == "collection" or (m := _IMPORT.search(text)):
        found = _short(m.group(0)) if phase != "collection" and m else "the test file did not load"
        # ("at collection" only where the runner said so: an import inside a test, or a
        # fixture's, fails when the test runs)
        where = " at collection" if phase == "collection" else ""
        return CategoryMatch(
            Category.IMPORT_CONFIG, f"import or configuration error{where} ({found})"
        )
    if m := _BYPASS.search(text):
        return CategoryMatch(
            Category.VACUOUS_PASS,
            "the service accepted a connection it should refuse: permissive (DEMO/RELAXED) auth "
            f"makes auth tests prove nothing ({_short(m.group(0))})",
        )
    if m := _SUBPROTOCOL.search(text):
        return CategoryMatch(
            Category.SUBPROTOCOL_FORMAT,
            f"the token was offered in a subprotocol format the server rejects ({_short(m[0])})",
        )
    if m := _SECRET.search(text):
        return CategoryMatch(
            Category.SECRET_CLAIM_MISMATCH,
            f"the server refused the token: secret or claims do not match ({_short(m.group(0))})",
        )
    if m := _INTERNAL.search(text):
        return CategoryMatch(
            Category.INTERNAL_1011, f"the server closed with an internal error ({_short(m[0])})"
        )
    if m := _INFRA.search(text):
        return CategoryMatch(
            Category.INFRASTRUCTURE,
            f"the service was slow, down or unreachable ({_short(m.group(0))})",
        )
    if m := _SLA.search(text):
        return CategoryMatch(
            Category.SLA, f"a measured number missed the service's SLA ({_short(m.group(0))})"
        )
    if m := _CONTRACT.search(text):
        return CategoryMatch(
            Category.EVENT_CONTRACT,
            f"the event stream broke the contract: missing, misordered or incomplete events "
            f"({_short(m.group(0))})",
        )
    return CategoryMatch(Category.OTHER, "no §9 pattern matched")


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "…"
