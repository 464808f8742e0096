"""The variable ``-p secret_env NAME`` names holds a secret even when its name does not say so
(``SIGNING_KEY``): its value is refused as a parameter and scrubbed from every artifact."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from netra_diag.errors import UsageError
from netra_diag.report import run_report

VALUE = "mySigningKeyValue-zzz-0123456789-abcdefghijkl"


def test_its_value_as_a_parameter_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QA_SIGNING_KEY", VALUE)
    params = {"secret_env": "QA_SIGNING_KEY", "sub": VALUE}
    with pytest.raises(UsageError, match=r"parameter 'sub' carries the value of \$QA_SIGNING_KEY"):
        run_report("token_lab", params, out_dir=tmp_path / "out", html=False)
    assert not (tmp_path / "out").exists()


def test_its_value_is_scrubbed_from_every_artifact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QA_SIGNING_KEY", VALUE)
    nb = new_notebook()
    params = new_code_cell(
        'secret_env = "JWT_SECRET_KEY"  # NAME of the variable\nsummary_path = ""'
    )
    params.metadata["tags"] = ["parameters"]
    record = (
        "from netra_diag import report\n"
        "summary = report.Summary(summary_path, notebook='leaky')\n"
        "summary.check('key', kind='auth', passed=True, detail=os.environ[secret_env])\n"
        "summary.record('key', {os.environ[secret_env]: 1})"
    )
    nb.cells += [
        params,
        new_code_cell("import os\nprint('key:', os.environ[secret_env])"),
        new_code_cell(record),
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    source = tmp_path / "leaky.ipynb"
    nbformat.write(nb, str(source))
    result = run_report(source, {"secret_env": "QA_SIGNING_KEY"}, out_dir=tmp_path / "out")
    assert result.error is None, result.error
    for path in (result.notebook_path, result.html_path, result.summary_path):
        assert path is not None
        text = path.read_text(encoding="utf-8")
        assert VALUE not in text
    assert "key: <secret …#" in result.notebook_path.read_text(encoding="utf-8")
    assert result.checks[0].detail.startswith("<secret …#")
    assert os.environ["QA_SIGNING_KEY"] == VALUE


def test_the_environ_given_is_the_one_the_notebook_runs_with(tmp_path: Path) -> None:
    # run_report(environ=...) judged the parameters by it, but the kernel ran with this
    # process's environment: the secret named was "not set" inside the notebook.
    environ = {**os.environ, "QA_ONLY_GIVEN_KEY": "g" * 40}
    params = {"secret_env": "QA_ONLY_GIVEN_KEY"}
    result = run_report("token_lab", params, out_dir=tmp_path, html=False, environ=environ)
    assert result.warnings == ()
    text = result.notebook_path.read_text(encoding="utf-8")
    assert "signing secret from $QA_ONLY_GIVEN_KEY" in text and "g" * 40 not in text
    assert "QA_ONLY_GIVEN_KEY" not in os.environ
