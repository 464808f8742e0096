"""One test over parameters that hold digits ("v2", "100") is still one cluster: the message
names each value as the signature normalised it ("bad value v<n> seen"), and the value was judged
too short to look for there by what normalising left of it ("v"). Five values made four
clusters; a value of one letter or digit ("<x>") stays apart, as before: it reads as a word of
the message too often."""

from __future__ import annotations

from pathlib import Path

from suite_runs import run_case_module

from netra_diag.suites import triage

SUITE = """
import pytest


@pytest.mark.parametrize("v", ["alpha", "beta", "v2", "100", "<x>"])
def test_value(v):
    assert False, f"bad value {v} seen"
"""


def test_values_with_digits_are_one_cause(tmp_path: Path) -> None:
    xml = tmp_path / "run.xml"
    run_case_module(tmp_path, "digits", SUITE, f"--junitxml={xml}")
    clusters = triage([xml]).clusters
    sizes = sorted((c.size, c.signature.message) for c in clusters)
    assert sizes == [(1, "bad value <x> seen"), (4, "bad value <param> seen")], sizes
    (merged,) = [c for c in clusters if c.size == 4]
    params = sorted(t.rsplit("[", 1)[1] for t in merged.tests)
    assert params == ["100]", "alpha]", "beta]", "v2]"], params
