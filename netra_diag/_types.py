"""Wire shapes (raw JSON as it crosses the socket) and small shared aliases."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeAlias, TypedDict

__all__ = ["Clock", "ErrorFrame", "JSONObject", "WallClock"]

JSONObject: TypeAlias = dict[str, Any]
# Injected clocks: monotonic nanoseconds and wall-clock epoch seconds. Pure code receives ``now``.
Clock: TypeAlias = Callable[[], int]
WallClock: TypeAlias = Callable[[], float]


class ErrorFrame(TypedDict, total=False):
    type: str
    error_code: str
    error_message: str
    details: Any
    recovery_suggestions: list[str]
    timestamp: float
