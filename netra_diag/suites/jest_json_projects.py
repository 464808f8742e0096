"""A test file that ``jest --json`` holds more than once: jest's ``projects`` each run it (a
staging and a prod project over the same tests), and the document names no project (no
``displayName`` in its ``testResults``). The tests of those runs have the same titles and the
same file, so nothing but their order tells them apart ("#2"), and jest orders files its own way
(failed and slow ones first): the same code run again can read as a new failure and a fix
against a baseline. A warning says so, and what names the project.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from netra_diag.wording import plural

__all__ = ["repeated_files"]

_SHOWN = 3


def repeated_files(names: Sequence[str], path: str) -> list[str]:
    """The warning for test files (``names``, as the document has them) written twice or more."""
    again = [(name, n) for name, n in Counter(names).items() if n > 1]
    if not again:
        return []
    listed = ", ".join(f"{name} ({n}×)" for name, n in again[:_SHOWN])
    more = f", {len(again) - _SHOWN} more" if len(again) > _SHOWN else ""
    return [
        f"{path}: jest ran {plural(len(again), 'test file')} more than once ({listed}{more}): "
        "its projects each ran them, and the JSON does not say which run was which project, so "
        "their tests are told apart by their order ('#2'), which jest changes from run to run "
        "(failed files first): against a baseline they may read as a new failure and a fix; "
        'jest-junit\'s classNameTemplate "{displayName} {classname} {title}" names the project'
    ]
