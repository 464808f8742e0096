"""Values read from JUnit attributes: numbers and durations as runners write them, and pytest's
node id rebuilt from a testcase's classname, name and file."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from math import isfinite
from typing import TypeVar

__all__ = ["as_int", "as_seconds", "converted", "line_number", "nodeid_prefix", "pytest_nodeid"]

_V = TypeVar("_V")


@lru_cache(maxsize=1024)  # a report has few (classname, file) pairs and many tests per pair
def nodeid_prefix(classname: str, file: str) -> str | None:
    if not file.endswith(".py"):
        return None
    module = file[:-3].replace("/", ".").replace("\\", ".")
    if classname == module:
        return f"{file}::"
    if classname.startswith(module + "."):
        rest = classname[len(module) + 1 :].split(".")
        return "::".join([file, *rest, ""])
    return None


def pytest_nodeid(classname: str, name: str, file: str) -> str:
    """Rebuild pytest's node id from the JUnit attributes (undoing ``mangle_test_address``).

    Needs ``file`` (xunit1); returns ``""`` when the classname does not start with the module.
    """
    prefix = nodeid_prefix(classname, file)
    return "" if prefix is None else prefix + name


def as_int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


def as_seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:  # Surefire writes "1,234.5" under some locales
            seconds = float(value.replace(",", ""))
        except ValueError:
            return None
    # "nan", "inf", "-5": no duration (NaN summed into a suite's time made its JSON invalid)
    return seconds if isfinite(seconds) and seconds >= 0 else None


_MEMO_LIMIT = 1 << 16


def converted(
    memo: dict[str, _V], convert: Callable[[str], _V], values: list[str | None]
) -> list[_V | None]:
    """``[convert(v) for v in values]``, converting each distinct value once (``memo`` keeps
    the conversions from one batch to the next, up to a bound). Raises as ``convert`` does,
    also for None."""
    new = set(values).difference(memo)
    if len(memo) + len(new) > _MEMO_LIMIT:
        memo.clear()
        new = set(values)
    memo.update(zip(new, map(convert, new), strict=True))  # type: ignore[arg-type]
    return list(map(memo.__getitem__, values))  # type: ignore[arg-type]


def line_number(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None
