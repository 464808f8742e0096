"""What a fan-out prepares before its ramp, off the connect path it measures: each user's first
token (``premint``), its cassette file (``reserve``), and the defaults for a caller that gives
no token factory (the local development secret, which only the embedded service accepts).

Used by ``live.fanout``; no sessions here.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import re
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from netra_diag.errors import RecordingError, UsageError
from netra_diag.live.fanout_rows import UserState
from netra_diag.recording import ReservedCassette, reserve_cassettes

__all__ = [
    "TokenFactory",
    "cassette_path",
    "check_numbers",
    "display_url",
    "local_secret",
    "local_tokens",
    "premint",
    "record_folder",
    "reserve",
]

TokenFactory = Callable[[str], str]  # token_for(user_id) -> token

_FILE_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def check_numbers(
    *,
    runs: int,
    run_timeout: float,
    connect_timeout: float,
    ramp: float | None,
    connect_concurrency: int,
) -> None:
    """Refuse, before anything starts, a count or a time the fan-out cannot run with."""
    for name, value in (("run_timeout", run_timeout), ("connect_timeout", connect_timeout)):
        if not (value > 0 and math.isfinite(value)):
            raise UsageError(f"{name} must be a positive number of seconds, got {value!r}")
    if runs < 0:
        raise UsageError(f"runs must be >= 0, got {runs}")
    if ramp is not None and not (ramp > 0 and math.isfinite(ramp)):
        raise UsageError(f"ramp must be a positive number of users per second, got {ramp!r}")
    if connect_concurrency < 1:
        raise UsageError(f"connect_concurrency must be >= 1, got {connect_concurrency}")


def record_folder(record_dir: str | Path | None) -> Path | None:
    """``record_dir``, created if missing (None: nothing is recorded)."""
    if record_dir is None:
        return None
    out_dir = Path(record_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create record directory {out_dir}: {exc.strerror}") from exc
    return out_dir


def cassette_path(out_dir: Path, st: UserState) -> Path:
    return out_dir / f"{st.index:05d}-{_FILE_SAFE.sub('_', st.user)}.jsonl"


def premint(states: Sequence[UserState], tokens: TokenFactory, horizon_s: float) -> dict[int, str]:
    """First tokens of the users released within ``horizon_s``, minted before the ramp so that
    signing a JWT is not part of the connect being measured. Later users (a long ramp) mint when
    they connect, so that no token waits long enough to near its expiry. A factory that fails
    leaves that user to fail (and be counted) when it connects."""
    out: dict[int, str] = {}
    for st in states:
        if st.intended_s <= horizon_s:
            try:
                tok = tokens(st.user)
            except Exception:  # reported by the user's own connect, which calls it again
                continue
            if isinstance(tok, str) and tok:
                out[st.index] = tok
    return out


async def reserve(states: Sequence[UserState], out_dir: Path | None) -> dict[int, ReservedCassette]:
    """Every user's cassette file, created before the ramp in a worker thread (creating files is
    the costly part of starting a cassette: ``netra_diag.recording_reservations``). If that
    fails, each user opens its own file as it connects, and reports the failure there."""
    if out_dir is None or not states:
        return {}
    paths = [cassette_path(out_dir, st) for st in states]
    work = asyncio.ensure_future(asyncio.to_thread(reserve_cassettes, paths))
    try:
        items = await asyncio.shield(work)
    except RecordingError:
        return {}
    except asyncio.CancelledError:
        # Stopped while the thread creates files (Ctrl-C, SIGTERM with thousands of users): it
        # goes on regardless, and what it made would stay behind as hidden '.reserved' files.
        # Wait for it and remove them all.
        with contextlib.suppress(RecordingError):
            for item in await work:
                item.release()
        raise
    return {st.index: item for st, item in zip(states, items, strict=True)}


def local_secret() -> str:
    from netra_diag.tokens import LOCAL_DEV_SECRET

    return LOCAL_DEV_SECRET


def local_tokens() -> TokenFactory:
    from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token

    def token_for(user_id: str) -> str:
        return mint_token(user_id, key=LOCAL_DEV_SECRET, now=time.time())

    return token_for


def display_url(url: str) -> str:
    from netra_diag.recording_format import redact_url

    return redact_url(url)
