"""Where ``netra-diag probe`` gets its token: minted for ``--sub`` with a profile's secret, or read
from ``--token-env`` out of whatever was copied around it, with notes on what a client sending the
value as it is would meet."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

from netra_diag.errors import UsageError

__all__ = ["token_from_env", "token_source"]


def token_source(args: argparse.Namespace, embedded: bool) -> tuple[Any, str | None]:
    """(the session's token source, the secret it signs with, if it mints): the secret is
    handed to the session too, so that the recording scrubs it wherever it shows up (a
    message quoting it, the server's echo of that message)."""
    from netra_diag.tokens import LOCAL_DEV_SECRET, find_secret, get_profile, mint_token

    if args.no_token:
        return None, None
    if args.token_env:
        return token_from_env(args.token_env), None
    sub = args.sub or "probe-user"
    prof = get_profile(args.profile)
    if embedded:
        secret = LOCAL_DEV_SECRET
    elif args.secret_env:
        secret = os.environ.get(args.secret_env, "")
        if not secret:
            raise UsageError(f"environment variable {args.secret_env} is not set (or empty)")
    else:
        found = find_secret(prof, os.environ)
        if found is None:
            raise UsageError(
                f"no secret for profile {prof.name}: set {prof.secret_env}, pass --secret-env, "
                "or give a ready token with --token-env"
            )
        secret = found.value
    return lambda: mint_token(sub, key=secret, now=time.time(), profile=prof), secret


def token_from_env(name: str) -> str:
    """The token in environment variable ``name``, out of what was copied around it (``Bearer
    <jwt>``, quotes, ``TOKEN=<jwt>``), as ``token inspect`` reads a paste, with a note on stderr
    saying what was left out: sent whole, ``Bearer <jwt>`` went out as ``Bearer Bearer <jwt>``
    and the probe reported only the service's 1008. The token itself is never shown."""
    from netra_diag.tokens.paste import unwrap_paste

    value = os.environ.get(name)
    if not value or not value.strip():
        raise UsageError(f"environment variable {name} is not set (or empty)")
    pasted = unwrap_paste(value)
    if not pasted.token:
        raise UsageError(f"environment variable {name} holds no token: {pasted.stripped}")
    if pasted.stripped:
        print(
            f"note: --token-env {name}: the token was taken out of {pasted.stripped}",
            file=sys.stderr,
        )
    if pasted.warning:
        # The format itself is the failure (PROTOCOL.md §2, §9): the probe connecting with the
        # token it found says nothing of the client that sends the value as it is.
        print(
            f"warning: --token-env {name}: {pasted.warning}. The probe used the token it held, "
            "so its verdict is on the token; a client that sends this value as it is will be "
            "refused",
            file=sys.stderr,
        )
    body = value.rstrip("\r\n")
    if body != value and body.strip() == pasted.token:
        # (the token alone, then a line end: read from a file into the variable with it)
        ending = json.dumps(value[len(body) :])
        print(
            f"note: --token-env {name}: the value ends with a line break ({ending}) after the "
            "token; the probe sent the token without it, but a client that sends the value as "
            "it is will be refused (the service reads the line break as part of the signature: "
            f"'bad base64url: character U+{ord(value[len(body)]):04X}')",
            file=sys.stderr,
        )
    return pasted.token
