"""Shared test configuration. Every network test runs against the real embedded service on a
loopback port chosen by the OS (port 0); timeouts scale with NETRA_TEST_TIMEOUT_FACTOR."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings
from timeouts import TIMEOUT_FACTOR

settings.register_profile(
    "default", deadline=None, max_examples=200, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("ci", deadline=None, max_examples=100, derandomize=True)
# A long hunt for parser bugs, by hand: NETRA_HYPOTHESIS=deep make test (or pytest -k fuzz).
settings.register_profile(
    "deep", deadline=None, max_examples=5000, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(
    os.environ.get("NETRA_HYPOTHESIS") or ("ci" if os.environ.get("CI") else "default")
)


@pytest.fixture
def timeout_factor() -> float:
    return TIMEOUT_FACTOR
