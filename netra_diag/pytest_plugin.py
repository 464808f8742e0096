"""pytest plugin: ``--netra-record DIR`` records each test's sessions as labelled cassettes."""

from __future__ import annotations

import pytest

__all__ = ["pytest_addoption"]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("netra-diag")
    group.addoption(
        "--netra-record",
        metavar="DIR",
        default=None,
        help="record every netra_session of each test as a cassette in DIR, labelled with node id",
    )
