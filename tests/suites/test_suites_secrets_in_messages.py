"""A secret a failing test printed as ``NAME=value`` is never shown, even when the triaging
process's environment does not hold it (the test set it itself, or ran on another machine)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from netra_diag.cli import main
from netra_diag.redaction import hide_assigned_secrets
from netra_diag.suites import normalise_message, triage

# pytest's xunit1 for a test that set JWT_SECRET_KEY in its own process and quoted it:
#   os.environ["JWT_SECRET_KEY"] = "supersecretvalue123456"
#   raise AssertionError("JWT_SECRET_KEY=supersecretvalue123456 did not match JWT_SECRET")
JUNIT = """<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests"><testsuite \
name="pytest" errors="0" failures="1" skipped="0" tests="1" time="0.1" hostname="vm"><testcase \
classname="test_secret" name="test_env_secret" file="test_secret.py" line="1" time="0.000">\
<failure message="AssertionError: JWT_SECRET_KEY=supersecretvalue123456 did not match JWT_SECRET"\
>def test_env_secret():
        os.environ["JWT_SECRET_KEY"] = "supersecretvalue123456"
&gt;       raise AssertionError("JWT_SECRET_KEY=supersecretvalue123456 did not match JWT_SECRET")
E       AssertionError: JWT_SECRET_KEY=supersecretvalue123456 did not match JWT_SECRET

test_secret.py:4: AssertionError</failure></testcase></testsuite></testsuites>
"""


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "JWT_SECRET_KEY=supersecretvalue123456 did not match JWT_SECRET",
            "JWT_SECRET_KEY=<secret> did not match JWT_SECRET",
        ),
        ('config {"password": "hunter2hunter2"}', 'config {"password": "<secret>"}'),
        ("SERVICE_SECRET: abcdefghij1 rejected", "SERVICE_SECRET: <secret> rejected"),
        ("access_token=opaque-abcdef-0123456789", "access_token=<secret>"),
        # an opaque (not JWT-shaped) credential in a header or a ticket in a URL
        (
            "HTTP 401: Authorization: Bearer sk_live_abcdefghijklmnop",
            "HTTP 401: Authorization: Bearer <secret>",
        ),
        ("sent Bearer sk_live_abcdefghijklmnop", "sent Bearer <secret>"),
        ("Basic dXNlcjpwYXNzd29yZA== refused", "Basic <secret> refused"),
        ("ws://host/ws?ticket=tkt_abcdefghijklmnop", "ws://host/ws?ticket=<secret>"),
        ("a bearer of bad news", "a bearer of bad news"),
        # a token's fingerprint is what a report shows of it: it stays
        ("access_token=eyJ…#a1b2c3d4", "access_token=eyJ…#a1b2c3d4"),
        # what tells causes apart stays
        ("token_type: access expected, got refresh", "token_type: access expected, got refresh"),
        ("token: Signature verification failed", "token: Signature verification failed"),
        ("api_key: None", "api_key: None"),
    ],
)
def test_a_value_set_to_a_secret_named_key_is_hidden(raw: str, expected: str) -> None:
    assert hide_assigned_secrets(raw) == expected
    if "…#" not in raw:
        assert normalise_message(raw) == expected


def test_no_rendering_shows_a_secret_the_test_printed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("JWT_SECRET_KEY", raising=False)
    path = tmp_path / "junit.xml"
    path.write_text(JUNIT)
    report = triage(path)
    assert "secret or claim mismatch" in report.to_text()
    for args in ([], ["--json"], ["--format", "markdown"], ["--format", "github"]):
        assert main(["triage", str(path), *args]) == 1
        out = capsys.readouterr().out
        assert "supersecretvalue" not in out, args
    assert "supersecretvalue" not in json.dumps(report.to_dict())


def test_no_rendering_shows_a_secret_in_a_test_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # @pytest.mark.parametrize with ids built from the configuration: the id carries the value
    path = tmp_path / "junit.xml"
    path.write_text(
        '<testsuites name="pytest tests"><testsuite name="pytest"><testcase classname="test_cfg" '
        'name="test_conn[JWT_SECRET=s3cr3tvalue99]" time="0.1"><failure message="boom">E   X'
        "</failure></testcase></testsuite></testsuites>"
    )
    for args in ([], ["--json"], ["--format", "markdown"], ["--format", "github"]):
        assert main(["triage", str(path), *args]) == 1
        out = capsys.readouterr().out
        assert "s3cr3tvalue99" not in out, args
        assert "JWT_SECRET=<secret>" in out, args
