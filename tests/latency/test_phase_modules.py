"""``netra_diag.latency.phases`` was split by what each part is (names, the walk, cell readers,
clock proofs); every name it offered is still importable from it, as the same object."""

from __future__ import annotations

import importlib

import pytest

import netra_diag.latency.phases as phases

_HOMES = {
    "Phase": "phase_names",
    "PING_TYPES": "phase_names",
    "PONG_TYPES": "phase_names",
    "LIVENESS": "phase_names",
    "PhaseScanner": "phase_scanner",
    "EventInfo": "phase_scanner",
    "as_data": "cell_values",
    "as_number": "cell_values",
    "as_text": "cell_values",
    "clock_violation_ms": "clock_skew",
}


def test_phases_offers_every_name_it_did() -> None:
    assert sorted(phases.__all__) == sorted(_HOMES)


@pytest.mark.parametrize(("name", "home"), sorted(_HOMES.items()))
def test_each_name_is_the_one_its_module_defines(name: str, home: str) -> None:
    module = importlib.import_module(f"netra_diag.latency.{home}")
    assert name in module.__all__
    assert getattr(phases, name) is getattr(module, name)
