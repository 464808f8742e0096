"""Every module declares ``__all__`` and every declared name exists; the top level stays small."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import netra_diag

MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(netra_diag.__path__, "netra_diag.")
    if m.name != "netra_diag.__main__"
)


@pytest.mark.parametrize("name", MODULES)
def test_module_declares_all(name: str) -> None:
    module = importlib.import_module(name)
    declared = getattr(module, "__all__", None)
    assert declared is not None, f"{name} has no __all__"
    missing = [n for n in declared if not hasattr(module, n)]
    assert not missing, f"{name}.__all__ names missing attributes: {missing}"


def test_top_level_exports_are_what_we_mean() -> None:
    assert set(netra_diag.__all__) == {"NetraDiagError", "__version__"}
