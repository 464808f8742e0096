"""What a session works out from a token before it can connect with it: its ``sub`` and ``exp``
(unverified: the auth verdict compares ``sub`` with the server's user, PROTOCOL.md §2; ``exp``
explains a later close), its fingerprint (the cassette header), the secrets that scrub it
(the token and its base64url disguise, ``recording_redaction.expand_secrets``) and the opening
handshake that carries it.

A fan-out mints its users' first tokens before its ramp, so that signing JWTs is not part of
the connect phase it measures; it works these facts out there too (``prepare_tokens``), for the
same reason (about 20 µs per token on this project's test machine). A prepared token's facts
are handed to the first session that uses the token (``take_prepared``, which forgets them),
and the fan-out forgets whatever no session took (``forget_prepared``): a token is kept here no
longer than the fan-out keeps it anyway.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import NamedTuple

from netra_diag.errors import NetraDiagError
from netra_diag.live.handshake import make_handshake
from netra_diag.recording_redaction import expand_secrets
from netra_diag.redaction import fingerprint
from netra_diag.tokens import Handshake, token_sub_exp

__all__ = ["TokenFacts", "forget_prepared", "prepare_tokens", "take_prepared", "token_facts"]


class TokenFacts(NamedTuple):
    """``sub`` and ``exp`` (``None`` when missing or undecodable), ``fingerprint``,
    ``secrets``: ``expand_secrets([token])``, and ``handshake``: the token's handshake for the
    URL and transport in ``handshake_for`` (``handshake.make_handshake``), if prepared."""

    sub: str | None
    exp: float | None
    fingerprint: str
    secrets: tuple[str, ...]
    handshake: Handshake | None = None
    handshake_for: tuple[str, str] | None = None

    def handshake_of(self, url: str, transport: str) -> Handshake | None:
        """The prepared handshake, if it is the one for ``url`` and ``transport``."""
        return self.handshake if self.handshake_for == (url, transport) else None


_PREPARED: dict[str, TokenFacts] = {}


def token_facts(token: str, url: str | None = None, transport: str | None = None) -> TokenFacts:
    """The facts of ``token`` (a non-empty string); with ``url`` and ``transport``, its
    handshake for them too (not when building it fails: the session's attempt reports that)."""
    sub, exp = token_sub_exp(token)
    handshake: Handshake | None = None
    key: tuple[str, str] | None = None
    if url is not None and transport is not None:
        with contextlib.suppress(NetraDiagError):
            handshake = make_handshake(url, token, transport)
            key = (url, transport)
    return TokenFacts(sub, exp, fingerprint(token), expand_secrets([token]), handshake, key)


def prepare_tokens(
    tokens: Iterable[str], url: str | None = None, transport: str | None = None
) -> None:
    """Work out the facts of ``tokens`` now (``token_facts``), for the sessions that will
    use them."""
    for token in tokens:
        if token and token not in _PREPARED:
            _PREPARED[token] = token_facts(token, url, transport)


def take_prepared(token: str) -> TokenFacts | None:
    """The prepared facts of ``token``, forgotten here (``None`` if it was not prepared)."""
    return _PREPARED.pop(token, None) if _PREPARED else None


def forget_prepared(tokens: Iterable[str]) -> None:
    """Forget the prepared facts of ``tokens`` that no session took."""
    for token in tokens:
        _PREPARED.pop(token, None)
