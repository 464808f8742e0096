"""Why a token was refused: one ``Failure`` per broken rule, with a code programs can branch on."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

__all__ = ["Failure", "FailureCode", "plain"]


class FailureCode(StrEnum):
    MALFORMED = "malformed"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    ISSUED_IN_FUTURE = "issued_in_future"
    BAD_SIGNATURE = "bad_signature"
    ALG_MISMATCH = "alg_mismatch"
    ALG_NONE = "alg_none"
    WRONG_AUDIENCE = "wrong_audience"
    WRONG_ISSUER = "wrong_issuer"
    MISSING_CLAIM = "missing_claim"
    WRONG_TOKEN_TYPE = "wrong_token_type"
    TOO_OLD = "too_old"
    ENV_MISMATCH = "env_mismatch"
    UNSUPPORTED_KEY = "unsupported_key"


@dataclass(frozen=True)
class Failure:
    """One broken rule: ``message`` is a plain sentence with expected vs actual and deltas."""

    code: FailureCode
    message: str
    expected: Any = None
    actual: Any = None
    hint: str = ""

    def __str__(self) -> str:
        return self.message

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": str(self.code),
            "message": self.message,
            "expected": plain(self.expected),
            "actual": plain(self.actual),
            "hint": self.hint,
        }


def plain(value: Any) -> Any:
    """``value`` as strict JSON data: sets sorted into lists, non-finite floats as text."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, frozenset | set):
        return sorted((plain(v) for v in value), key=repr)
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    return value
