"""Options ``netra-diag probe`` and ``netra-diag fanout`` share, checked before anything starts
(no embedded service, no banner, no connection): a bad value is a usage error (exit 2) that
says which option was wrong and why, never a failure of every user found later.
"""

from __future__ import annotations

import argparse
import math

from netra_diag.errors import UsageError
from netra_diag.tokens.transports import check_ws_url

__all__ = ["EMBEDDED_ONLY", "check_live_options", "fill_embedded_defaults"]

# Options that configure the embedded service: meaningless with a URL (PROTOCOL.md's service
# runs elsewhere and has its own auth mode and faults). Their argparse default is None, so that
# giving one at all (even its default value) is noticed.
EMBEDDED_ONLY: tuple[str, ...] = ("auth", "faults", "time_scale")


def _flag(dest: str) -> str:
    return "--" + dest.replace("_", "-")


def check_live_options(args: argparse.Namespace) -> None:
    """Raise ``UsageError`` for: a timeout that is not a positive number of seconds
    (``--timeout``, ``--open-timeout``), a URL that is not ``ws://``/``wss://``, embedded-service
    options (``--auth``, ``--faults``, ``--time-scale``) given together with a URL."""
    for dest in ("timeout", "open_timeout"):
        value = getattr(args, dest, None)
        if value is not None and not (value > 0 and math.isfinite(value)):
            raise UsageError(f"{_flag(dest)} must be a positive number of seconds, got {value:g}")
    scale = getattr(args, "time_scale", None)
    if scale is not None and not (scale >= 0 and math.isfinite(scale)):
        raise UsageError(f"--time-scale must be a number >= 0, got {scale:g}")
    if not args.url:
        return
    check_ws_url(args.url)
    given = [_flag(d) for d in EMBEDDED_ONLY if getattr(args, d, None) is not None]
    if given:
        named = given[0] if len(given) == 1 else f"{', '.join(given[:-1])} and {given[-1]}"
        verb = "applies" if len(given) == 1 else "apply"
        raise UsageError(
            f"{named} {verb} only to the embedded service, which runs when no URL is given; "
            f"the service at the URL has its own auth mode, faults and timing (drop {named}, "
            "or omit the URL)"
        )


def fill_embedded_defaults(args: argparse.Namespace, **defaults: object) -> None:
    """Give the embedded-service options that were not given their defaults (after
    ``check_live_options``, which needs to know which ones were given)."""
    for dest, default in defaults.items():
        if getattr(args, dest, None) is None:
            setattr(args, dest, default)
