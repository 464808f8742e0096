"""What ``netra-diag token`` reads: the token (an argument, stdin or a file), the key (the
environment, a key file), ``--claim`` pairs and durations. Every problem is a ``UsageError``
naming the option or file it came from; no secret or token is ever in its message.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from netra_diag.errors import UsageError

__all__ = [
    "TOKEN_HELP",
    "default_algorithms",
    "duration",
    "parse_claims",
    "read_token",
    "resolve_key",
]


TOKEN_HELP = (
    "the token (pasted as copied: quotes, 'Bearer ...', a subprotocol entry or list, a URL "
    "with ?token=, a line holding one JWT such as TOKEN=... or a curl command are stripped), - "
    "to read it from stdin, or @FILE to read it from a file"
)


# A token is a few KiB at most; reading more from a wrong file or pipe only delays the verdict.
_MAX_READ = 1 << 20


def _decode(data: bytes) -> str:
    # Bytes that are not UTF-8 stay visible to the parser as lone surrogates, which it reports
    # as "byte 0xA4 ... is not text" instead of this process dying on a UnicodeDecodeError.
    # utf-8-sig: editors on Windows start a saved file with a byte-order mark.
    return data.decode("utf-8-sig", errors="surrogateescape")


def _read_stdin() -> str:
    if sys.stdin.isatty():
        # Without a pipe, '-' waits on the terminal: say so, or it looks like a hang.
        print("reading the token from the terminal: paste it, then Ctrl-D", file=sys.stderr)
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is None:  # a text stream without bytes underneath (tests, embedding)
        return sys.stdin.read(_MAX_READ)
    return _decode(buffer.read(_MAX_READ))


def _read_token_file(path: str) -> str:
    from netra_diag.redaction import scrub

    # The "path" may be a paste that happens to start with @ (a whole token inside): scrubbed.
    shown = scrub(path if path.isprintable() else json.dumps(path))
    try:
        with Path(path).open("rb") as handle:
            data = handle.read(_MAX_READ)
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the name
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise UsageError(f"cannot read the token file {shown}: {why}") from exc
    print(f"note: read the token from file {shown}", file=sys.stderr)
    return _decode(data)


def _names_a_file(arg: str) -> bool:
    try:
        return Path(arg).is_file()
    except (OSError, ValueError):  # too long for a file name, or a NUL in it: not a path
        return False


def read_token(arg: str) -> str:
    """The token: the argument itself, stdin for ``-``, the file ``FILE`` for ``@FILE``, or the
    file the argument names when one exists (a JWT holds no '/' and is never a file's name)."""
    if arg == "-":
        text = _read_stdin()
    elif arg.startswith("@") and len(arg) > 1:
        text = _read_token_file(arg[1:])
    elif arg.count(".") != 2 and _names_a_file(arg):
        text = _read_token_file(arg)
    else:
        text = arg
    return text.strip()


def _read_key_file(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read key file {path}: {exc.__class__.__name__}") from exc


def _is_pem(text: str) -> bool:
    return "-----BEGIN " in text


def _key_from_file(path: str, algorithm: str) -> str:
    """The key in ``path`` for ``algorithm``: a PEM key for RS*/ES*; for HS* the secret, less
    one trailing newline (``echo``/``printf '...\n'`` and editors add one, and the service's
    JWT_SECRET_KEY holds none: kept, it would be part of the secret and nothing would verify).
    A PEM key is refused for HS* (an asymmetric key used as an HMAC secret is the classic
    algorithm-confusion attack), and a non-PEM file for RS*/ES*."""
    text = _read_key_file(path)
    if algorithm.startswith("HS"):
        if _is_pem(text):
            raise UsageError(
                f"key file {path} holds a PEM key, but {algorithm} signs with a shared secret: "
                "pass --alg RS256 or ES256 for a PEM key, or a file holding the secret"
            )
        return text.removesuffix("\n").removesuffix("\r")
    if not _is_pem(text):
        raise UsageError(
            f"{algorithm} needs a PEM key, but key file {path} holds none (no '-----BEGIN'); "
            "for an HS* secret pass --alg HS256"
        )
    return text


def _secret_from_env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise UsageError(f"environment variable {name} is not set (or empty)")
    return value


def resolve_key(args: argparse.Namespace, algorithm: str, profile: str) -> tuple[str, str]:
    """(key, where it came from) for ``algorithm``; never the key in the description."""
    from netra_diag.tokens import find_secret, get_profile
    from netra_diag.tokens.mint import check_secret_length

    if args.key_file:
        return _key_from_file(args.key_file, algorithm), f"key file {args.key_file}"
    if algorithm == "none":
        return "", "no key (alg none)"
    if not algorithm.startswith("HS"):
        raise UsageError(f"{algorithm} needs --key-file with a PEM key")
    if args.secret_env:
        value = _secret_from_env(args.secret_env)
        check_secret_length(profile, algorithm, value, f"${args.secret_env}")
        return value, f"${args.secret_env}"
    prof = get_profile(profile)
    found = find_secret(prof, os.environ)
    if found is None:
        also = ", ".join(prof.deprecated_secret_envs)
        raise UsageError(
            f"no secret for profile {prof.name}: set {prof.secret_env} (also read: {also}) "
            "or pass --secret-env NAME / --key-file FILE"
        )
    source = found.source if found.is_default else f"${found.source}"
    check_secret_length(prof, algorithm, found.value, source)
    return found.value, source + (" (deprecated name)" if found.deprecated else "")


def parse_claims(pairs: list[str] | None) -> dict[str, Any]:
    claims: dict[str, Any] = {}
    for pair in pairs or []:
        name, eq, text = pair.partition("=")
        if not eq or not name:
            raise UsageError(f"bad --claim {pair!r}: expected NAME=VALUE (VALUE may be JSON)")
        try:
            claims[name] = json.loads(text)
        except RecursionError:
            raise UsageError(f"bad --claim {name}=...: the value is nested too deeply") from None
        except ValueError as exc:
            if text.strip()[:1] in ("[", "{", '"'):
                # Meant as JSON (a list of permissions, an object): minting the raw text as a
                # string would make a token that is wrong in a way nobody asked for.
                reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
                if "'" in text:
                    reason += "; JSON strings take double quotes"
                raise UsageError(
                    f"bad --claim {name}=...: the value starts like JSON but does not parse "
                    f'({reason}); fix it, or give a plain string without [ {{ or " in front'
                ) from None
            claims[name] = text
    return claims


def default_algorithms(key_file: str | None) -> tuple[str, ...]:
    """What ``verify`` accepts without ``--alg``: HS256 with a secret (from the environment, or a
    key file that is not PEM), RS256 and ES256 with a PEM key. Only one family either way, so
    a token cannot choose to be checked with the other (RFC 8725 §3.1)."""
    if key_file and _is_pem(_read_key_file(key_file)):
        return ("RS256", "ES256")
    return ("HS256",)


def duration(option: str, text: str, *, positive: bool = False) -> float:
    """``parse_ttl(text)``: a finite duration that is not negative (above zero when
    ``positive``), its error naming the option it came from."""
    from netra_diag.tokens import parse_ttl

    try:
        seconds = parse_ttl(text)
    except UsageError as exc:
        raise UsageError(
            f"{option} {text!r} is not a duration: expected seconds or e.g. 30s, 15m, 2h, 1d"
        ) from exc
    if seconds < 0 or (positive and seconds == 0):
        least = "above 0" if positive else "0 or more"
        raise UsageError(f"{option} {text!r}: must be {least} (a duration such as 30s or 24h)")
    return seconds
