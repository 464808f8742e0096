"""`netra-diag doctor`: versions, paths, configuration; secrets only as present/absent."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from netra_diag.cli import main
from netra_diag.cli.doctor import DISTRIBUTIONS, SECRET_ENVS, collect_report
from netra_diag.redaction import fingerprint

KEY_VALUE = "doctor-test-secret-value-0123456789-abc"
HELPER_VALUE = "helper-secret"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SECRET_ENVS:
        monkeypatch.delenv(name, raising=False)


def test_text_report(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    for section in ("versions", "paths", "platform", "secrets", "NETRA_* settings"):
        assert f"\n{section}" in out
    for dist in ("websockets", "PyJWT", "pandas", "plotly", "papermill", "jupyterlab"):
        assert dist in out
    assert "JWT_SECRET_KEY         absent" in out
    assert "local                  built-in local development secret" in out


def test_json_report_and_secrets_never_shown(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JWT_SECRET_KEY", KEY_VALUE)
    monkeypatch.setenv("JWT_SECRET", HELPER_VALUE)
    monkeypatch.setenv("NETRA_API_TOKEN", "netra-token-value")
    monkeypatch.setenv("NETRA_URL", f"wss://staging.invalid/ws?k={KEY_VALUE}")
    monkeypatch.setenv("NETRA_TEST_TIMEOUT_FACTOR", "2")
    assert main(["doctor", "--json"]) == 0
    out = capsys.readouterr().out
    report = json.loads(out)
    secrets = report["configuration"]["secrets"]
    assert secrets["JWT_SECRET_KEY"] == {"present": True, "length": "32+ chars"}
    assert secrets["JWT_SECRET"]["length"].startswith("shorter than 32")
    assert secrets["JWT_SECRET_STAGING"] == {"present": False}
    netra = report["configuration"]["netra"]
    assert netra["NETRA_API_TOKEN"] == {"present": True}
    assert netra["NETRA_TEST_TIMEOUT_FACTOR"] == "2"
    assert "<redacted secret>" in netra["NETRA_URL"]
    assert any("JWT_SECRET and JWT_SECRET_KEY differ" in w for w in report["warnings"])
    assert report["configuration"]["profiles"]["staging"] == "secret from JWT_SECRET_KEY"
    assert set(DISTRIBUTIONS) <= set(report["versions"])
    assert report["paths"]["package"].endswith("netra_diag")
    assert main(["doctor"]) == 0
    out += capsys.readouterr().out
    for value in (KEY_VALUE, HELPER_VALUE, "netra-token-value"):
        assert value not in out
        assert fingerprint(value) not in out


def test_helper_only_secret_warns() -> None:
    report = collect_report({"JWT_SECRET": "x" * 40})
    assert any("JWT_SECRET is set but JWT_SECRET_KEY is not" in w for w in report["warnings"])


def test_doctor_imports_no_heavy_module() -> None:
    code = (
        "import contextlib, io, sys\n"
        "from netra_diag.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['doctor', '--json'])\n"
        "heavy = ('pandas', 'plotly', 'ipywidgets', 'jupyterlab', 'papermill', 'websockets',"
        " 'jwt')\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
