"""Test ids from the names runners give: pytest node ids, dotted classnames (re-exported by
``netra_diag.suites.model``)."""

from __future__ import annotations

__all__ = ["module_of", "nodeid_to_test_id", "split_nodeid"]


def module_of(classname: str) -> str:
    """The test module of a dotted classname: ``tests.e2e.test_a.TestB`` -> ``tests.e2e.test_a``."""
    parts = classname.split(".")
    for i, part in enumerate(parts):
        if part.startswith(("test_", "case_")) or part.endswith("_test"):
            return ".".join(parts[: i + 1])
    return classname


def split_nodeid(nodeid: str) -> tuple[str, str]:
    """``(classname, name)`` as pytest's JUnit writer derives them from a node id.

    Mirrors ``_pytest.junitxml.mangle_test_address``: the path becomes dotted without ``.py``,
    parameters stay on the name. ``tests/test_a.py::TestB::test_c[x]`` ->
    ``("tests.test_a.TestB", "test_c[x]")``.
    """
    path, bracket, params = nodeid.partition("[")
    names = path.split("::")
    names[0] = names[0].replace("/", ".").replace("\\", ".")
    names[0] = names[0].removesuffix(".py")
    names[-1] += bracket + params
    return ".".join(names[:-1]), names[-1]


def nodeid_to_test_id(nodeid: str) -> str:
    """The ``test_id`` a pytest node id gets, the same from JUnit (xunit1/xunit2) and JSON."""
    classname, name = split_nodeid(nodeid)
    return f"{classname}::{name}" if classname else name
