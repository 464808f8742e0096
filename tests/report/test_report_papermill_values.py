"""Notebooks run by papermill itself read each ``-p`` value as they mean it: papermill passes
``-p sub 42`` as an int, ``-p users ten`` and ``-p allow_production false`` as texts (and a text
is true to Python). Before, ``-p allow_production false`` let token_lab mint production tokens,
``-p sub 42`` failed as "TraitError: ... expected a unicode string, not the int 42" and
``-p users ten`` as "TypeError: '<' not supported between instances of 'str' and 'int'"."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from raw_papermill import papermill

from netra_diag.errors import UsageError

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def last_line(text: str) -> str:
    return [line for line in text.splitlines() if line.strip()][-1]


def test_allow_production_false_as_papermill_passes_it_mints_nothing(tmp_path: Path) -> None:
    env = {**os.environ, "JWT_SECRET_KEY": "p" * 48}
    run = papermill(
        tmp_path, "token_lab", "profile", "production", "allow_production", "false", env=env
    )
    assert run.returncode != 0
    assert last_line(run.stderr).startswith(
        "UsageError: profile: production mints tokens the live service accepts"
    )


def test_a_numeric_user_id_is_a_user_id(tmp_path: Path) -> None:
    run = papermill(tmp_path, "token_lab", "sub", "42", "ttl", "900")
    assert run.returncode == 0, last_line(run.stderr)
    executed = (tmp_path / "out.ipynb").read_text(encoding="utf-8")
    assert "minted token verifies" in executed


def test_a_numeric_user_id_opens_a_live_session(tmp_path: Path) -> None:
    run = papermill(
        tmp_path, "live_session", "sub", "42", "time_scale", "0.1", "raise_on_failed_checks", "1"
    )
    assert run.returncode == 0, last_line(run.stderr)


@pytest.mark.parametrize("name", ["latency_sla", "investigation_report"])
def test_a_count_that_is_no_number_is_refused_by_name(tmp_path: Path, name: str) -> None:
    run = papermill(tmp_path, name, "users", "ten")
    assert run.returncode != 0
    assert last_line(run.stderr) == (
        "UsageError: parameter users: expected a whole number, got str 'ten'"
    )
    # Refused in the first cell after the parameters (papermill's injected cell is In [2]),
    # before anything was recorded.
    assert 'Exception encountered at "In [3]"' in run.stderr


def test_papermill_values_read_as_meant() -> None:
    from netra_diag.report import flag_parameter, number_parameter, text_parameter

    assert number_parameter("users", "12", whole=True) == 12
    assert number_parameter("users", 3.0, whole=True) == 3
    assert number_parameter("time_scale", 1) == 1.0 and number_parameter("t", " 0.5 ") == 0.5
    for bad in (True, "2.5", None, [1]):
        with pytest.raises(UsageError, match=r"^parameter users: expected a whole number, got "):
            number_parameter("users", bad, whole=True)
    with pytest.raises(UsageError, match=r"^parameter time_scale: expected a number, got str"):
        number_parameter("time_scale", "fast")
    assert text_parameter("sub", 42, numbers=True) == "42"
    with pytest.raises(UsageError, match=r"^parameter sub: expected text, got bool True$"):
        text_parameter("sub", True, numbers=True)
    with pytest.raises(UsageError, match=r"expected text \(paths, comma-separated\), got int"):
        text_parameter("results", 5)
    assert [flag_parameter("f", v) for v in (True, "false", "No", 0, "1", "TRUE", "")] == [
        True,
        False,
        False,
        False,
        True,
        True,
        False,
    ]
    for bad in ("ture", 2, None):
        with pytest.raises(UsageError, match=r"^parameter f: expected true or false, got "):
            flag_parameter("f", bad)


def test_a_token_given_where_text_goes_is_not_shown_whole() -> None:
    import time

    from netra_diag.report import text_parameter
    from netra_diag.tokens import mint_token

    token = mint_token("u1", key="k" * 40, now=time.time())
    with pytest.raises(UsageError) as refused:
        text_parameter("results", {"file": token})
    assert token not in str(refused.value) and "eyJ…#" in str(refused.value)


@pytest.mark.parametrize(
    ("param", "said"),
    [
        ("url", "UsageError: url: must start with ws:// or wss://, got '5'"),
        ("transport", "UsageError: transport: unknown '5'; choose one of auto, header,"),
        ("faults", "UsageError: unknown fault '5'; faults are drop_event,"),
    ],
)
def test_a_number_where_a_word_goes_is_said_in_the_libraries_words(
    tmp_path: Path, param: str, said: str
) -> None:
    # It failed as "AttributeError: 'int' object has no attribute 'lower'" (or 'strip', 'split').
    run = papermill(tmp_path, "live_session", param, "5", "time_scale", "0.1")
    assert run.returncode != 0
    assert last_line(run.stderr).startswith(said)
