"""Read a token without a key: header, claims, times, and what is broken (RFC 7515 §7.1, RFC 7519).

``inspect_token`` never raises on a bad token. Whatever text (or bytes) it is given (a JWT, a
pasted ``Bearer …`` header, a ``jwt.<base64url>`` subprotocol entry, or junk) it returns a
``TokenInspection`` whose ``problems`` say which part is broken and why. The token itself is not
kept: only its fingerprint. Something that is not text at all (``None``) is a ``UsageError``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from netra_diag.errors import MalformedToken
from netra_diag.redaction import fingerprint, scrub, scrub_obj
from netra_diag.tokens import _jws
from netra_diag.tokens.arguments import token_text
from netra_diag.tokens.notes import SIGNATURE_BYTES, TIME_CLAIMS, lifetime_note, token_notes
from netra_diag.tokens.paste import unwrap_paste
from netra_diag.tokens.placeholders import placeholder_problem
from netra_diag.tokens.timefmt import format_delta, format_instant, format_relative
from netra_diag.wording import plural

__all__ = [
    "PART_NAMES",
    "SIGNATURE_BYTES",
    "ParsedToken",
    "TokenInspection",
    "as_epoch",
    "binary_problem",
    "inspect_token",
    "parse_compact",
    "shown_name",
    "unwrap_token",
]

PART_NAMES = ("header", "payload", "signature")


@dataclass(frozen=True)
class ParsedToken:
    """The three parts of a compact JWS, decoded as far as they go."""

    header: dict[str, Any] | None
    claims: dict[str, Any] | None
    signature: bytes | None
    signing_input: bytes
    parts: int
    problems: tuple[str, ...]


def shown_name(name: object) -> str:
    """A header or claim name as printed: as it is when printable, else JSON-quoted, so a name
    holding a newline or a terminal escape cannot forge or recolour lines of the report."""
    text = str(name)
    return text if text.isprintable() else json.dumps(text)


def as_epoch(value: Any) -> float | None:
    """``value`` as finite epoch seconds, or ``None`` when it is not a NumericDate."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _decode_json_part(index: int, segment: str, problems: list[str]) -> dict[str, Any] | None:
    name = f"part {index + 1} ({PART_NAMES[index]})"
    if not segment:
        problems.append(f"{name} is empty")
        return None
    try:
        raw = _jws.b64url_decode(segment)
    except ValueError as exc:
        problems.append(f"{name}: bad base64url: {exc}")
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.append(f"{name}: decodes to bytes that are not UTF-8 text (byte {exc.start})")
        return None
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else type(exc).__name__
        # Some messages end in "at" already ("Unterminated string starting at").
        at = "" if reason.endswith(" at") else " at"
        where = f"{at} character {exc.pos}" if isinstance(exc, json.JSONDecodeError) else ""
        problems.append(f"{name}: not JSON: {reason}{where}")
        return None
    if not isinstance(value, dict):
        problems.append(f"{name}: JSON but not an object (it is a {type(value).__name__})")
        return None
    return value


def binary_problem(text: str) -> str:
    """What makes ``text`` binary data rather than text ("" when it is text): a control
    character, a byte that was not UTF-8 (a lone surrogate, from surrogateescape), or U+FFFD
    (from a lossy decode). Word counts and base64 offsets of such input say nothing useful."""
    if text.isascii() and text.isprintable():  # every JWT: checked in C, no loop
        return ""
    for offset, char in enumerate(text):
        code = ord(char)
        if 0xDC80 <= code <= 0xDCFF:
            what = f"byte 0x{code - 0xDC00:02X}, which is not UTF-8 text,"
        elif 0xD800 <= code <= 0xDFFF:
            what = f"a lone surrogate U+{code:04X}, which is not text,"
        elif char == "\ufffd":
            what = "U+FFFD (a byte that was not UTF-8)"
        elif (code < 0x20 and char not in " \t\r\n") or code == 0x7F:
            what = f"control character U+{code:04X}"
        else:
            continue
        return (
            f"the input is binary data, not a token: {what} at offset {offset} (a JWT is "
            "ASCII letters, digits, '-', '_' and '.'; a wrong file, or a compressed paste?)"
        )
    return ""


def parse_compact(token: str) -> ParsedToken:
    """Split and decode ``header.payload.signature``; never raises."""
    problems: list[str] = []
    if not token:
        return ParsedToken(None, None, None, b"", 0, ("empty input: no token given",))
    binary = binary_problem(token)
    if binary:
        return ParsedToken(None, None, None, b"", 0, (binary,))
    stand_in = placeholder_problem(token)
    if stand_in:
        return ParsedToken(None, None, None, b"", 1, (stand_in,))
    pieces = token.split()
    if len(pieces) > 1:
        # Two tokens pasted (or piped) together, or one broken across lines: say that, not that
        # the parts the joined text happens to have make it some other kind of token.
        lines = token.count("\n") + 1
        how = plural(lines, "line") if lines > 1 else plural(len(pieces), "word")
        problems.append(
            f"the input is {how} with whitespace inside: a JWT has none (give one token; "
            "several pasted together do not parse)"
        )
    segments = token.split(".")
    if len(segments) != 3:
        what = (
            " (5 parts is an encrypted JWE, which the service does not use)"
            if len(segments) == 5 and len(pieces) == 1
            else ""
        )
        problems.append(
            f"not 3 parts: found {plural(len(segments), 'dot-separated part')}; a JWT is "
            f"header.payload.signature{what}"
        )
    header = _decode_json_part(0, segments[0], problems)
    claims = _decode_json_part(1, segments[1], problems) if len(segments) > 1 else None
    signature: bytes | None = None
    if len(segments) == 3:
        try:
            signature = _jws.b64url_decode(segments[2])
        except ValueError as exc:
            problems.append(f"part 3 (signature): bad base64url: {exc}")
    if header is not None:
        alg = header.get("alg")
        if "alg" not in header:
            problems.append("part 1 (header): no 'alg' field (RFC 7515 §4.1.1 requires it)")
        elif not isinstance(alg, str):
            problems.append(f"part 1 (header): 'alg' must be a string, got {alg!r}")
    signing_input = ".".join(segments[:2]).encode("utf-8", "surrogatepass")
    return ParsedToken(header, claims, signature, signing_input, len(segments), tuple(problems))


def unwrap_token(text: str) -> tuple[str, str | None]:
    """Strip what people paste around a token; return ``(token, what was stripped or None)``.

    Handles surrounding whitespace and quotes, ``Authorization: Bearer <jwt>``, subprotocol
    entries (``jwt.<base64url>``, ``jwt-auth.<jwt>``, ...), a whole subprotocol list, a URL's
    query string and a bare base64url-encoded JWT (``paste.unwrap_paste`` also says what the
    service would make of a known-bad subprotocol list).
    """
    found = unwrap_paste(text)
    return found.token, _with_line_end(found.stripped, text, found.token)


def _line_end(text: str, token: str) -> str | None:
    """The line break (``"\\n"``, ``"\\r\\n"``) that one line ``text`` ends with after
    ``token``, which ``unwrap_paste`` strips without a word; ``None`` for none, or for a
    multi-line paste (a JSON object, a wrapped token), whose breaks are no part of a token."""
    body = text.rstrip("\r\n")
    if not token or body == text or "\n" in body or "\r" in body:
        return None
    return text[len(body) :]


def _with_line_end(stripped: str | None, text: str, token: str) -> str | None:
    ending = _line_end(text, token)
    if ending is None:
        return stripped
    said = f"a trailing line break ({json.dumps(ending)})"
    return f"{stripped}, {said}" if stripped else said


def _line_end_note(text: str, token: str) -> str | None:
    """What a trailing line break means: stripped here, refused by the service. Sent as it is
    (``?token=<jwt>%0A``, a subprotocol entry built from the text) the break is read as part of
    the signature: 'part 3 (signature): bad base64url: character U+000A'."""
    ending = _line_end(text, token)
    if ending is None:
        return None
    return (
        f"the input ends with a line break ({json.dumps(ending)}), stripped here; a client that "
        "sends the token with it is refused: the service reads it as part of the signature "
        f"('part 3 (signature): bad base64url: character U+{ord(ending[0]):04X}')"
    )


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


@dataclass(frozen=True)
class TokenInspection:
    """What can be read from a token without its key. Holds no token, only its fingerprint."""

    fingerprint: str
    now: float
    header: Mapping[str, Any] | None = None
    claims: Mapping[str, Any] | None = None
    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    unwrapped: str | None = None
    signature_bytes: int | None = None
    parts: int = 0
    times: Mapping[str, float] = field(default_factory=dict)

    @property
    def malformed(self) -> bool:
        return bool(self.problems)

    @property
    def algorithm(self) -> str | None:
        alg = (self.header or {}).get("alg")
        return alg if isinstance(alg, str) else None

    @property
    def expires_in_s(self) -> float | None:
        """Seconds until ``exp`` (negative once expired); ``None`` without a numeric ``exp``."""
        exp = self.times.get("exp")
        return None if exp is None else exp - self.now

    @property
    def lifetime_s(self) -> float | None:
        exp, iat = self.times.get("exp"), self.times.get("iat")
        return None if exp is None or iat is None else exp - iat

    @property
    def status(self) -> str:
        """``"expires in 4m 10s"``, ``"expired 3m 12s ago"``, or why there is no answer."""
        if self.claims is None:
            return "unreadable: the payload could not be decoded (see problems)"
        remaining = self.expires_in_s
        if remaining is None:
            return "no usable exp claim: the service rejects tokens without one"
        if remaining < 0:
            return f"expired {format_delta(-remaining)} ago"
        # "expires in 2h" alone reads as usable; a token not valid yet is refused until then.
        early = [
            f"{what} {format_delta(moment - self.now)} in the future"
            for name, what in (("nbf", "not valid yet: nbf"), ("iat", "issued (iat)"))
            if (moment := self.times.get(name)) is not None and moment - self.now >= 1
        ]
        return "; ".join([*early, f"expires in {format_delta(remaining)}"])

    def raise_if_malformed(self) -> None:
        """Raise ``MalformedToken`` naming the first broken part."""
        if self.problems:
            part, _, reason = self.problems[0].partition(": ")
            raise MalformedToken(part, reason or part)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe summary (no token; any JWT-shaped claim value is fingerprinted)."""
        times = {
            name: {
                "epoch": value,
                "utc": format_instant(value),
                "relative": format_relative(value, self.now),
            }
            for name, value in self.times.items()
        }
        summary = {
            "fingerprint": self.fingerprint,
            "malformed": self.malformed,
            "problems": list(self.problems),
            "notes": list(self.notes),
            "unwrapped": self.unwrapped,
            "header": _json_safe(scrub_obj(dict(self.header))) if self.header is not None else None,
            "claims": _json_safe(scrub_obj(dict(self.claims))) if self.claims is not None else None,
            "times": times,
            "expires_in_s": self.expires_in_s,
            "lifetime_s": self.lifetime_s,
            "status": self.status,
            "signature_bytes": self.signature_bytes,
            "now": self.now,
        }
        return dict(_json_safe(summary))

    def describe(self) -> str:
        """Multi-line, human-readable account of the token."""
        lines = [f"token   {self.fingerprint}"]
        if self.unwrapped:
            lines.append(f"         (stripped {self.unwrapped})")
        if self.header is not None:
            shown = ", ".join(
                f"{shown_name(k)}={scrub(json.dumps(v))}" for k, v in self.header.items()
            )
            lines.append(f"header  {shown}")
        if self.claims is not None:
            lines.append("claims")
            width = max((len(shown_name(k)) for k in self.claims), default=0)
            for name, value in self.claims.items():
                text = scrub(json.dumps(_json_safe(value), ensure_ascii=False))
                if name in self.times:
                    moment = self.times[name]
                    text += f"  {format_instant(moment)} ({format_relative(moment, self.now)})"
                lines.append(f"  {shown_name(name):<{width}}  {text}")
        if self.signature_bytes is not None:
            lines.append(f"signature {self.signature_bytes} bytes (not verified: no key given)")
        status = self.status
        if self.lifetime_s is not None and self.claims is not None:
            status += f"; lifetime {format_delta(self.lifetime_s)}{lifetime_note(self.lifetime_s)}"
        lines.append(f"status  {status}")
        lines.extend(f"problem {p}" for p in self.problems)
        lines.extend(f"note    {n}" for n in self.notes)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.describe()


def token_sub_exp(token: str) -> tuple[str | None, float | None]:
    """The ``sub`` and ``exp`` claims, unverified, or ``None`` for each that is missing or does
    not decode. Only the payload is decoded: sessions ask this on every connect (1,000 at a time
    in a fan-out), where ``inspect_token``'s full analysis is not needed."""
    jwt_text, _ = unwrap_token(token)
    parts = jwt_text.split(".")
    if len(parts) < 2:
        return None, None
    claims = _decode_json_part(1, parts[1], [])
    if claims is None:
        return None, None
    sub = claims.get("sub")
    return (None if sub is None else str(sub)), as_epoch(claims.get("exp"))


def inspect_token(token: str | bytes, *, now: float) -> TokenInspection:
    """Decode ``token`` (text, or bytes: decoded) without verifying it, relative to ``now``
    (epoch seconds). Never raises on a bad token; ``UsageError`` when ``token`` is neither text
    nor bytes (``None``, say), which is the caller's mistake, not something to fingerprint."""
    text = token_text(token)
    pasted = unwrap_paste(text)
    jwt_text = pasted.token
    unwrapped = _with_line_end(pasted.stripped, text, jwt_text)
    line_end = _line_end_note(text, jwt_text)
    parsed = parse_compact(jwt_text)
    times: dict[str, float] = {}
    if parsed.claims is not None:
        for name in TIME_CLAIMS:
            epoch = as_epoch(parsed.claims.get(name))
            if epoch is not None:
                times[name] = epoch
    return TokenInspection(
        fingerprint=fingerprint(jwt_text) if jwt_text else "(empty)",
        now=now,
        header=parsed.header,
        claims=parsed.claims,
        problems=parsed.problems,
        notes=(
            *([pasted.warning] if pasted.warning else []),
            *([line_end] if line_end else []),
            *token_notes(parsed.header, parsed.claims, parsed.signature, times, now),
        ),
        unwrapped=unwrapped,
        signature_bytes=None if parsed.signature is None else len(parsed.signature),
        parts=parsed.parts,
        times=times,
    )
