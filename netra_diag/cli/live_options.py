"""Options ``netra-diag probe`` and ``netra-diag fanout`` share, checked before anything starts
(no embedded service, no banner, no connection): a bad value is a usage error (exit 2) that
says which option was wrong and why, never a failure of every user found later.
"""

from __future__ import annotations

import argparse
import math
import os
from pathlib import Path

from netra_diag.errors import UsageError
from netra_diag.live.endpoint import check_endpoint

__all__ = [
    "EMBEDDED_ONLY",
    "check_descriptors",
    "check_live_options",
    "check_record_dir",
    "check_record_file",
    "fill_embedded_defaults",
    "remove_cassettes",
]

# Options that configure the embedded service: meaningless with a URL (PROTOCOL.md's service
# runs elsewhere and has its own auth mode and faults). Their argparse default is None, so that
# giving one at all (even its default value) is noticed.
EMBEDDED_ONLY: tuple[str, ...] = ("auth", "faults", "time_scale")
# Descriptors a fan-out's process needs besides its users': the interpreter's, the listening
# socket, the event loop's.
_SPARE_DESCRIPTORS = 64


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
    # (what a copy or a shell quote adds around a URL: taken off, as any reader of a URL would)
    args.url = args.url.strip()
    check_endpoint(args.url)
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


def _check_record_name(path: str, what: str) -> None:
    """An empty ``--record`` named the current folder (a fan-out recorded into it, among
    whatever was there; probe failed after its banner with "Is a directory"), and ``-`` a
    file or folder called ``-``, where stdout was meant: both are refused, saying so."""
    if not path.strip():
        raise UsageError(f"--record is empty: give {what}")
    if path == "-":
        raise UsageError(
            f"--record -: cassettes are written to files, not to stdout (which shows the "
            f"summary); give {what}"
        )


def check_record_file(path: str) -> None:
    """``--record FILE`` names a file that can be created or replaced: not a folder, and in a
    folder that exists or can be created (checked before the banner, not when the session
    opens the file)."""
    _check_record_name(path, "a file name, e.g. run.jsonl")
    target = Path(path)
    example = f"{path.rstrip('/' + os.sep)}/probe.jsonl"
    if target.is_dir():
        raise UsageError(f"--record {path}: is a folder; give a file name (e.g. {example})")
    if path.endswith(("/", os.sep)):
        # (a folder not made yet: the cassette was written as a file of that name)
        raise UsageError(
            f"--record {path}: names a folder (it ends in /); give a file name (e.g. {example})"
        )
    parent = _existing_ancestor(target.parent)
    if not parent.is_dir():
        raise UsageError(f"--record {path}: {parent} is a file, not a folder")


def check_record_dir(path: str, *, overwrite: bool) -> list[Path]:
    """``--record DIR`` names a folder (or one to create); returns the cassettes (``*.jsonl``)
    already in it. A folder holding cassettes is refused unless ``overwrite``: a new run's files
    would sit among an older run's (and replace some of them), and everything reading the
    folder would take both runs for one. With ``overwrite`` the hidden reservations a killed
    run left behind (``.NAME.jsonl.reserved``) are returned too, to be removed with them."""
    _check_record_name(path, "a folder name, e.g. cassettes/")
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"--record {path}: is a file, not a folder")
    parent = _existing_ancestor(folder)
    if not parent.is_dir():
        raise UsageError(f"--record {path}: {parent} is a file, not a folder")
    old = sorted(folder.glob("*.jsonl")) if folder.is_dir() else []
    if old and not overwrite:
        n = len(old)
        raise UsageError(
            f"--record {path} already holds {n} cassette{'s' if n != 1 else ''} (*.jsonl) of an "
            "earlier run, which this run's would be mixed with: choose an empty folder, or pass "
            "--overwrite to remove them first"
        )
    if overwrite and folder.is_dir():
        old += sorted(folder.glob(".*.jsonl.reserved"))
    return old


def remove_cassettes(paths: list[Path]) -> None:
    """Remove an earlier run's cassettes (``--overwrite``), just before the new run starts."""
    for old in paths:
        try:
            old.unlink(missing_ok=True)
        except OSError as exc:
            raise UsageError(f"--overwrite: cannot remove {old}: {exc.strerror}") from exc


def _existing_ancestor(path: Path) -> Path:
    """``path`` or its nearest ancestor that exists (what creating it would start from)."""
    current = path if str(path) else Path(".")
    while not current.exists() and current.parent != current:
        current = current.parent
    return current


def check_descriptors(args: argparse.Namespace) -> None:
    """``fanout``: refuse a fan-out this process cannot hold open (after raising its soft
    limit towards the hard one): past ``ulimit -n`` the embedded service's accept loop printed
    a traceback per refused connection, and every user left over failed as "opening handshake
    timed out"."""
    from netra_diag.live.fanout_runtime import raise_nofile_limit

    # A socket per user; its cassette with --record; the server's end when embedded here.
    per_user = 1 + (args.record is not None) + (not args.url)
    needed = args.users * per_user + _SPARE_DESCRIPTORS
    soft, hard = raise_nofile_limit(needed)
    if soft < needed:
        fits = max(0, (soft - _SPARE_DESCRIPTORS) // per_user)
        shown_hard = "unlimited" if hard < 0 else str(hard)
        raise UsageError(
            f"--users {args.users} needs about {needed} open files ({per_user} per user and "
            f"{_SPARE_DESCRIPTORS} for the process), but this process may open {soft} (ulimit "
            f"-n; hard limit {shown_hard}): give --users {fits} or fewer, or raise the limit"
        )
