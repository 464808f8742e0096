"""The built-in SLA files' own usage comments name only --context values they check: the
remediation file suggested suite_success=1/4, which sla check then ignored with a warning."""

from __future__ import annotations

import re
from importlib import resources

import pytest

from netra_diag.latency import load_sla


@pytest.mark.parametrize("name", ["service", "remediation"])
def test_suggested_context_is_checked(name: str) -> None:
    text = (resources.files("netra_diag") / "data" / "sla" / f"{name}.toml").read_text("utf-8")
    suggested = set(re.findall(r"--context (\w+)=", text))
    checked = {c.phase for c in load_sla(name).checks}
    assert suggested <= checked, suggested - checked
