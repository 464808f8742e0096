"""A connect the service refused has no value, like one cut off: the check's note says its
attempts "failed or never finished", in one sentence, not "1 of 2 connect attempts never
finished (no value) and are left out"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from netra_diag.cli import main

SLA = """\
[[check]]
id = "connect"
phase = "connect"
statistic = "max"
comparison = "<"
threshold = "5 s"
"""


def test_a_refused_connect_is_said_to_have_failed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ok, refused = tmp_path / "ok.jsonl", tmp_path / "refused.jsonl"
    assert main(["probe", "--sub", "u1", "--record", str(ok), "--time-scale", "0.1"]) == 0
    argv = ["probe", "--sub", "u1", "--record", str(refused), "--faults", "reject_auth"]
    assert main([*argv, "--transport", "header"]) == 3
    (tmp_path / "sla.toml").write_text(SLA, encoding="utf-8")
    capsys.readouterr()
    main(["sla", "check", str(tmp_path / "sla.toml"), str(ok), str(refused), "--json"])
    check = json.loads(capsys.readouterr().out)["checks"][0]
    assert check["status"] == "pass" and check["n"] == 1 and check["left_out"] == 1
    assert (
        "1 of 2 connect attempts failed or never finished (no value); left out, the max "
        in (check["note"])
    )
    assert "are left out" not in check["note"]
