"""The token toolkit: mint, inspect, verify and explain JWTs; carry them in a handshake.

Pure core (ARCHITECTURE.md layer 2): no I/O, no clock reads — every function that judges time
takes ``now`` (epoch seconds). Module map:

- ``profiles``   — what each environment issues and accepts (PROTOCOL.md §3)
- ``mint``       — ``mint_token``, ``parse_ttl``
- ``inspection`` — ``inspect_token`` (no key; never raises on a bad token); its notes in ``notes``
- ``paste``      — the token in what was pasted (Bearer, a subprotocol list, a URL, JSON, quotes)
- ``arguments``  — the type checks every entry point shares (``UsageError``, bytes decoded)
- ``verify``     — ``verify_token`` with every failure explained (rules in ``rules`` and
  ``signature``; ``keyless`` is what the service refuses whatever the key)
- ``transports`` — client side of PROTOCOL.md §2: ``build_handshake``, known-bad formats
- ``extraction`` — server side of PROTOCOL.md §2: where the service finds the token
- ``timefmt``    — ``format_delta`` and friends

A token is printed whole nowhere in this package: results carry ``fingerprint``s.
"""

from __future__ import annotations

from netra_diag.tokens.extraction import (
    MIN_SUBPROTOCOL_TOKEN_LENGTH,
    PLAIN_SUBPROTOCOLS,
    QUERY_PARAMS,
    TOKEN_PREFIXES,
    SubprotocolChoice,
    extract_from_header,
    extract_from_query,
    extract_from_subprotocols,
)
from netra_diag.tokens.failures import Failure, FailureCode
from netra_diag.tokens.inspection import (
    TokenInspection,
    inspect_token,
    token_sub_exp,
    unwrap_token,
)
from netra_diag.tokens.mint import SUPPORTED_ALGORITHMS, mint_token, parse_ttl
from netra_diag.tokens.profiles import (
    LOCAL_DEV_SECRET,
    PROFILES,
    Profile,
    SecretLookup,
    find_secret,
    get_profile,
    resolve_secret,
)
from netra_diag.tokens.timefmt import format_delta, format_instant, format_relative
from netra_diag.tokens.transports import (
    GOLDEN_PATH,
    KNOWN_BAD_FORMATS,
    TEST_HELPER,
    Handshake,
    SubprotocolFormat,
    Transport,
    build_bad_handshake,
    build_handshake,
    check_ws_url,
    encode_subprotocol_token,
)
from netra_diag.tokens.verify import Verification, verify_token

__all__ = [
    "GOLDEN_PATH",
    "KNOWN_BAD_FORMATS",
    "LOCAL_DEV_SECRET",
    "MIN_SUBPROTOCOL_TOKEN_LENGTH",
    "PLAIN_SUBPROTOCOLS",
    "PROFILES",
    "QUERY_PARAMS",
    "SUPPORTED_ALGORITHMS",
    "TEST_HELPER",
    "TOKEN_PREFIXES",
    "Failure",
    "FailureCode",
    "Handshake",
    "Profile",
    "SecretLookup",
    "SubprotocolChoice",
    "SubprotocolFormat",
    "TokenInspection",
    "Transport",
    "Verification",
    "build_bad_handshake",
    "build_handshake",
    "check_ws_url",
    "encode_subprotocol_token",
    "extract_from_header",
    "extract_from_query",
    "extract_from_subprotocols",
    "find_secret",
    "format_delta",
    "format_instant",
    "format_relative",
    "get_profile",
    "inspect_token",
    "mint_token",
    "parse_ttl",
    "resolve_secret",
    "token_sub_exp",
    "unwrap_token",
    "verify_token",
]
