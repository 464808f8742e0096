"""A notebook run by papermill itself refuses a secret given as a parameter, without showing it:
``-p secret_env "$JWT_SECRET_KEY"`` (the value where its name goes) or a token as ``-p sub``.
Before, token_lab ran on, and its panel and warning ("$<the secret> is not set: signing with
$JWT_SECRET_KEY") wrote the secret into the outputs of the executed notebook; under a staging
profile papermill's error line printed it too. papermill itself keeps every ``-p`` value in the
cell it injects and in its metadata: nothing a notebook can change, so those two are left out
of what is checked here."""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

import nbformat
import pytest
from raw_papermill import papermill

from netra_diag.tokens import mint_token

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def last_line(text: str) -> str:
    return [line for line in text.splitlines() if line.strip()][-1]


def beyond_papermills_own_record(path: Path) -> str:
    """The executed notebook without the cell papermill injects and its metadata's copy of the
    parameters: what the notebook itself wrote."""
    nb = nbformat.read(str(path), as_version=4)
    nb.cells = [c for c in nb.cells if "injected-parameters" not in c.metadata.get("tags", ())]
    nb.metadata.get("papermill", {}).pop("parameters", None)
    return str(nbformat.writes(nb))


@pytest.mark.parametrize("profile", ["local", "staging"])
def test_a_secrets_value_given_as_secret_env_is_refused_unseen(
    tmp_path: Path, profile: str
) -> None:
    secret = secrets.token_urlsafe(36)
    env = {**os.environ, "JWT_SECRET_KEY": secret}
    run = papermill(tmp_path, "token_lab", "secret_env", secret, "profile", profile, env=env)
    assert run.returncode != 0
    assert last_line(run.stderr) == (
        "UsageError: parameter 'secret_env' carries the value of $JWT_SECRET_KEY; pass the "
        "variable's name instead (e.g. -p secret_env JWT_SECRET_KEY)"
    )
    assert secret not in run.stdout + run.stderr
    assert secret not in beyond_papermills_own_record(tmp_path / "out.ipynb")


def test_a_token_given_as_the_user_is_refused_unseen(tmp_path: Path) -> None:
    token = mint_token("u1", key=secrets.token_urlsafe(36), now=time.time())
    env = {**os.environ, "NETRA_URL": ""}
    run = papermill(tmp_path, "live_session", "sub", token, "time_scale", "0.1", env=env)
    assert run.returncode != 0
    assert last_line(run.stderr).startswith("UsageError: parameter 'sub' looks like a JWT (eyJ…#")
    assert token not in run.stdout + run.stderr
    assert token not in beyond_papermills_own_record(tmp_path / "out.ipynb")
