"""Name an earlier run's tests as this run names them, when pytest ran it from another directory.

pytest names a test by its path from the rootdir, which depends on where it was started when the
project has no ini file (and ``--junit-prefix`` adds a name in front): the same test is
``tests.e2e.test_ws::test_auth`` in a run from the project's root and ``e2e.test_ws::test_auth``
in one from ``tests/``. A baseline or history run whose ids differ from this run's by one such
leading part throughout is the same suite: its ids get this run's spelling, and a note says so.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace

from netra_diag.suites.model import SuiteRun

__all__ = ["align_names"]

# Ids looked at to find the leading part (a few hundred say it; a run may have 100k).
_SAMPLE = 256


def _dotted_suffixes(test_id: str) -> Iterable[tuple[str, str]]:
    """``(prefix, rest)`` for each dot of the part before ``::``: ``a.b.c::t`` gives
    ``("a.", "b.c::t")`` and ``("a.b.", "c::t")``."""
    head = test_id.partition("::")[0]
    start = 0
    while (dot := head.find(".", start)) >= 0:
        yield test_id[: dot + 1], test_id[dot + 1 :]
        start = dot + 1


def _prefix(longer: Sequence[str], shorter: set[str]) -> tuple[str, int]:
    """The leading part that, cut from ids of ``longer``, most often gives an id of ``shorter``;
    and how many of the sampled ids it matched."""
    found: Counter[str] = Counter()
    for test_id in longer[:_SAMPLE]:
        for prefix, rest in _dotted_suffixes(test_id):
            if rest in shorter:
                found[prefix] += 1
                break
    if not found:
        return "", 0
    return found.most_common(1)[0]


def align_names(run: SuiteRun, reference: SuiteRun, what: str = "the run") -> tuple[SuiteRun, str]:
    """``run`` with its tests named as ``reference`` names them, and a note saying what was
    changed (of ``what``: "the baseline"); ``(run, "")`` unchanged when they share a test
    already, or differ otherwise."""
    ids = reference.columns.test_ids
    theirs = run.columns.test_ids
    if not ids or not theirs:
        return run, ""
    mine = set(ids)
    if not mine.isdisjoint(theirs):
        return run, ""
    cut, cut_hits = _prefix(theirs, mine)  # run's ids have a part more
    add, add_hits = _prefix(ids, set(theirs))  # reference's ids have a part more
    if not cut_hits and not add_hits:
        return run, ""
    if cut_hits >= add_hits:
        old, new = cut, ""
    else:
        old, new = "", add
    renamed = _renamed(run, old, new, mine)
    matched = sum(1 for test_id in renamed.columns.test_ids if test_id in mine)
    # Most of the smaller run's tests must be found: a few names alike is another suite.
    if matched * 2 < min(len(mine), len(renamed.rows)):
        return run, ""
    example = theirs[0]
    now = renamed.rows[0].test_id
    how = f"without {old!r} in front" if old else f"with {new!r} in front"
    return renamed, (
        f"{what} names its tests with a part more or less in front (pytest run from another "
        f"directory, or --junit-prefix: {example!r} there, {now!r} here): they are compared "
        f"{how}"
    )


def _renamed(run: SuiteRun, old: str, new: str, reference: set[str]) -> SuiteRun:
    """``run`` with ``old`` in front of its test ids and classnames replaced by ``new`` (one of
    them ""). A collection error has no classname, its module is its name
    (``tests.e2e.test_ws``); ``--junit-prefix X`` makes X its classname (``X::test_ws``): it is
    named as ``reference`` names it."""
    size = len(old)
    bare = (old or new).removesuffix(".")  # the leading part as --junit-prefix gives it

    def names(test_id: str, name: str, classname: str) -> tuple[str, str, str]:
        if old:  # cut
            if classname == bare:  # X::test_ws -> test_ws
                return name, name, ""
            if classname.startswith(old):
                return test_id[size:], name, classname[size:]
            if not classname and name.startswith(old):
                return name[size:], name[size:], ""
            return test_id, name, classname
        if classname:  # add
            return new + test_id, name, new + classname
        if f"{bare}::{name}" in reference:
            return f"{bare}::{name}", name, bare
        return new + name, new + name, ""

    rows = []
    for row in run.rows:
        new_id, name, classname = names(row.test_id, row.name, row.classname)
        rows.append(row._replace(test_id=new_id, name=name, classname=classname))
    details = {}
    for test_id, case in run.details.items():
        new_id, name, classname = names(test_id, case.name, case.classname)
        details[new_id] = replace(case, test_id=new_id, name=name, classname=classname)
    return replace(run, rows=tuple(rows), details=details)
