"""The investigation the demo and the ``investigation_report`` notebook run, as library calls.

Two halves, so a notebook can re-analyse recordings without talking to a service again:

- :func:`collect` (I/O): start the embedded reference service with injected faults, run one
  agent turn for the reader to see (:class:`Turn`), fan out many users, record everything as
  cassettes, and save the service's fault log and the fan-out summary beside them.
- :func:`analyse` (no network): load the cassettes, check every session's event contract,
  measure latency per phase against an SLA file, compare what was injected with what was
  diagnosed, triage a suite's results against a baseline, and put the worst finding first in one
  honest headline (:class:`Investigation`).

Nothing here judges anything the library modules do not already judge: this package wires
``tokens``, ``emulator``, ``live``, ``recording``, ``events``, ``latency`` and ``suites`` together
and turns their verdicts into the report's required checks.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

from netra_diag.investigation.analyse import Investigation, analyse, bundled_suite
from netra_diag.investigation.collect import (
    DEFAULT_FAULTS,
    CollectConfig,
    Collection,
    collect,
)
from netra_diag.investigation.inputs import (
    damage_caveat,
    find_cassettes,
    investigation_suite,
    latency_phases,
    session_subject,
    session_timeout,
    session_transport,
    suite_inputs,
)
from netra_diag.investigation.service import (
    ServiceRef,
    SigningSecret,
    ensure_service,
    secret_for,
    signing_secret,
    token_factory,
)
from netra_diag.investigation.turn import DEMO_MESSAGE, Turn, describe_turn, run_turn
from netra_diag.investigation.verdicts import (
    new_failures_check,
    session_checks,
    triage_headline,
)

if TYPE_CHECKING:
    from netra_diag.report.summary import Check

__all__ = [
    "DEFAULT_FAULTS",
    "DEMO_MESSAGE",
    "CollectConfig",
    "Collection",
    "Investigation",
    "ServiceRef",
    "SigningSecret",
    "Turn",
    "analyse",
    "bundled_suite",
    "collect",
    "connection_checks",
    "damage_caveat",
    "describe_turn",
    "ensure_service",
    "find_cassettes",
    "investigation_suite",
    "latency_phases",
    "new_failures_check",
    "run_turn",
    "secret_for",
    "session_checks",
    "session_subject",
    "session_timeout",
    "session_transport",
    "signing_secret",
    "suite_inputs",
    "token_factory",
    "triage_headline",
]


def connection_checks(cassettes: Iterable[str | os.PathLike[str]]) -> list[Check]:
    """:func:`netra_diag.investigation.cassette_checks.connection_checks` (imported when called:
    it needs the live client's verdicts, which ``import netra_diag.investigation`` does not
    load)."""
    from netra_diag.investigation.cassette_checks import connection_checks as checks

    return checks(cassettes)
