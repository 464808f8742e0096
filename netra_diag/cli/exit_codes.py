"""Exit codes shared by every subcommand, so CI scripts can branch on the class of failure."""

from __future__ import annotations

from enum import IntEnum

__all__ = ["ExitCode"]


class ExitCode(IntEnum):
    OK = 0
    FAILURE = 1  # generic failure, e.g. a token that does not verify (token verify, offline)
    USAGE = 2  # bad arguments or input files (argparse uses 2 as well)
    CONTRACT = 3  # event-contract or auth problem seen in a session (bypass, token refused, 1008)
    TIMEOUT = 4  # a run or connection timed out
    CONNECTION = 5  # could not connect / upgrade refused / connection lost
    SLA_BREACH = 6  # an SLA check failed
    NEW_FAILURES = 7  # triage found failures that are new since the baseline
    NOTEBOOK = 8  # a notebook failed to execute
    INFRASTRUCTURE = 9  # infrastructure failure in a report (service down, 503, refused)
