"""What the service refuses in a token whatever key signed it: the claim rules every profile
shares (PROTOCOL.md §3). ``inspect`` and ``handshake`` have no key; without this they read an
expired token, or the old helper's iss, as fine.

The audience and env rules differ by environment, which neither knows: the most permissive
audience set (development's) is used and env is not judged, so nothing here is a false alarm.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from netra_diag.tokens.failures import Failure, FailureCode
from netra_diag.tokens.profiles import get_profile
from netra_diag.tokens.rules import check_identity, check_required, check_times

__all__ = ["keyless_refusals"]


def keyless_refusals(
    header: Mapping[str, Any], claims: Mapping[str, Any], now: float
) -> list[Failure]:
    """Every rule these claims break for any profile's service, judged at ``now``."""
    alg = header.get("alg")
    if isinstance(alg, str) and alg.lower() == "none":
        return [Failure(FailureCode.ALG_NONE, "alg is 'none': the service refuses unsigned tokens")]
    # Named for what it stands for here: messages print the profile's name.
    dev = replace(get_profile("development"), name="development, the most permissive")
    found = check_required(claims) + check_times(claims, now, 0.0, 86400, dev)
    found += check_identity(claims, dev, dev.allowed_audiences, "access", None, None)
    return [f for f in found if f.code is not FailureCode.ENV_MISMATCH]
