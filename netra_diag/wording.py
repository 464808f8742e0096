"""How reports count things in words: "1 flaky test over 5 runs", never "1 test(s)"."""

from __future__ import annotations

__all__ = ["plural"]


def plural(n: int, one: str, many: str | None = None) -> str:
    """``n`` and the noun it counts: ``plural(1, "run")`` is "1 run", ``plural(2, "run")``
    "2 runs"; ``many`` for nouns that do not just take an "s" ("pass", "passes")."""
    return f"{n} {one if n == 1 else (many or one + 's')}"
