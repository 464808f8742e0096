"""``netra-diag token handshake``: the URL, headers and subprotocols that carry a token for each
auth transport (PROTOCOL.md §2), the token fingerprinted, and what the service will make of it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from typing import Any

from netra_diag.cli.exit_codes import ExitCode
from netra_diag.cli.token_input import TOKEN_HELP, read_token
from netra_diag.errors import UsageError
from netra_diag.tokens import KNOWN_BAD_FORMATS, Transport

__all__ = ["register_handshake"]


def _show_handshake(shown: dict[str, Any]) -> str:
    headers = ", ".join(f"{k}: {v}" for k, v in shown["headers"].items()) or "(none)"
    protocols = ", ".join(shown["subprotocols"]) or "(none)"
    return "\n".join(
        [
            f"transport     {shown['transport']}",
            f"  what        {shown['description']}",
            f"  url         {shown['url']}",
            f"  headers     {headers}",
            f"  subprotocols {protocols}",
            f"  expected    {shown['expected']}",
        ]
    )


# Handshakes that carry no token, so TOKEN may be left out for them.
_TOKENLESS_BAD = ("no-token", "unsupported-subprotocol")


def _handshake(args: argparse.Namespace) -> int:
    from netra_diag.tokens import build_bad_handshake, build_handshake
    from netra_diag.tokens.paste import unwrap_paste

    if args.token is None:
        tokenless = args.bad in _TOKENLESS_BAD or (
            not args.bad and not args.all and args.transport == Transport.NONE.value
        )
        if not tokenless:
            raise UsageError(
                "TOKEN is needed (or - to read it from stdin); only --transport none, "
                f"--bad {' and --bad '.join(_TOKENLESS_BAD)} go without one"
            )
    for note in _not_applied(args):
        print(f"note: {note}", file=sys.stderr)
    args.prefix = args.prefix if args.prefix is not None else "jwt"
    args.encoding = args.encoding if args.encoding is not None else "base64url"
    args.query_param = args.query_param if args.query_param is not None else "token"
    token = ""
    if args.token is not None:
        pasted = unwrap_paste(read_token(args.token))
        token = pasted.token
        if pasted.warning:
            print(f"warning: {pasted.warning}", file=sys.stderr)
    if args.all:
        shakes = [
            build_handshake(args.url, token, t, prefix=args.prefix, query_param=args.query_param)
            for t in Transport
        ]
        shakes += [build_bad_handshake(args.url, token, name) for name in KNOWN_BAD_FORMATS]
    elif args.bad:
        shakes = [build_bad_handshake(args.url, token, args.bad)]
    else:
        shakes = [
            build_handshake(
                args.url,
                token,
                args.transport,
                prefix=args.prefix,
                encoding=args.encoding,
                query_param=args.query_param,
            )
        ]
    now = time.time()
    shown = [h.redacted(now) for h in shakes]
    if args.json:
        print(json.dumps(shown if args.all else shown[0], indent=2, ensure_ascii=False))
    else:
        print("\n".join(_show_handshake(s) for s in shown))
    return int(ExitCode.OK)


def _not_applied(args: argparse.Namespace) -> list[str]:
    """Options given that the handshake shown does not use: ``--prefix jwt-auth`` with
    ``--transport header`` changed nothing, without a word, and the header shown read as the
    one the prefix would give."""
    if args.all:
        return []  # (every transport is shown: each option applies to one of them)
    transport = None if args.bad else args.transport
    options = (
        ("--prefix", args.prefix, (Transport.SUBPROTOCOL, Transport.SUBPROTOCOL_RAW)),
        ("--encoding", args.encoding, (Transport.SUBPROTOCOL, Transport.BEARER)),
        ("--query-param", args.query_param, (Transport.QUERY,)),
    )
    what = f"--bad {args.bad}" if args.bad else f"--transport {transport}"
    return [
        f"{name} applies to --transport {' and '.join(used)} only: ignored with {what}"
        for name, value, used in options
        if value is not None and transport not in used
    ]


def register_handshake(
    actions: Any,
    guarded: Callable[[str, Callable[[argparse.Namespace], int]], Callable[..., int]],
    epilog: str,
) -> None:
    """Add ``handshake`` to ``token``'s actions; ``guarded`` turns usage errors into exit 2."""
    p = actions.add_parser(
        "handshake",
        help="show the handshake that carries a token (redacted)",
        description="Show the URL, headers and subprotocols a client sends for each auth "
        "transport (PROTOCOL.md §2), with the token fingerprinted.",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "token",
        metavar="TOKEN|-|@FILE",
        nargs="?",
        help=f"{TOKEN_HELP} (not needed for --transport none, "
        f"--bad {', --bad '.join(_TOKENLESS_BAD)})",
    )
    p.add_argument("--url", default="ws://127.0.0.1:8000/ws", help="ws:// or wss:// endpoint")
    how = p.add_mutually_exclusive_group()
    how.add_argument(
        "--transport",
        default=Transport.SUBPROTOCOL.value,
        choices=[t.value for t in Transport],
        help="how the token travels (default: subprotocol, the golden path)",
    )
    how.add_argument("--bad", choices=list(KNOWN_BAD_FORMATS), help="a known-bad format instead")
    how.add_argument("--all", action="store_true", help="every transport and known-bad format")
    p.add_argument(
        "--prefix", default=None, help="subprotocol prefix: jwt (default), jwt-auth, bearer, ..."
    )
    p.add_argument(
        "--encoding",
        default=None,
        choices=("base64url", "raw"),
        help="how the subprotocol entry carries the token (default: base64url, unpadded)",
    )
    p.add_argument(
        "--query-param",
        default=None,
        help="query parameter for --transport query: token (default), jwt, auth_token, "
        "access_token",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=guarded("handshake", _handshake))
