"""``netra-diag report -p KEY VALUE`` with a VALUE that starts with a dash (``-p ttl -5m``), or
written ``-p KEY=VALUE``: argparse took ``-5m`` for an option and stopped with "expected 2
arguments", and so it did for ``KEY=VALUE``, the form papermill's own ``-p`` users reach for.

Before parsing, such a value is marked with a leading NUL (no argument can hold one, so nothing
given is changed by mistake), which argparse takes for a plain value; ``unmark`` takes it off.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["mark_parameter_values", "unmark"]

_MARK = "\0"
_FLAGS = ("-p", "--parameter")


def mark_parameter_values(argv: Sequence[str]) -> list[str]:
    """``argv`` with each ``report -p`` VALUE that starts with "-" marked, and ``-p KEY=VALUE``
    split into KEY and VALUE; other commands' arguments are left as they are."""
    args = list(argv)
    command = next((i for i, item in enumerate(args) if not item.startswith("-")), None)
    if command is None or args[command] != "report":
        return args
    out = args[: command + 1]
    rest = args[len(out) :]
    i = 0
    while i < len(rest):
        item = rest[i]
        if item == "--":
            out += rest[i:]
            break
        if item in _FLAGS and i + 1 < len(rest):
            key = rest[i + 1]
            if "=" in key and not key.startswith("-"):
                name, value = key.split("=", 1)
                out += [item, name, _marked(value)]
                i += 2
                continue
            if i + 2 < len(rest):
                out += [item, key, _marked(rest[i + 2])]
                i += 3
                continue
        out.append(item)
        i += 1
    return out


def _marked(value: str) -> str:
    return _MARK + value if value.startswith("-") or value.startswith(_MARK) else value


def unmark(value: str) -> str:
    """A parameter value as given (see the module docstring)."""
    return value[1:] if value.startswith(_MARK) else value
