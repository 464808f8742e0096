"""Timeouts scaled for slow machines: every test waits ``scaled(seconds)``, so that
``NETRA_TEST_TIMEOUT_FACTOR=3`` gives a loaded CI runner three times as long."""

from __future__ import annotations

import os

__all__ = ["TIMEOUT_FACTOR", "scaled"]

TIMEOUT_FACTOR = float(os.environ.get("NETRA_TEST_TIMEOUT_FACTOR", "1"))


def scaled(seconds: float) -> float:
    """A timeout scaled for slow machines."""
    return seconds * TIMEOUT_FACTOR
