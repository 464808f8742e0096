"""What ``netra-diag report suite_triage --list-parameters`` tells a user about each parameter is
what the notebook does with it: an empty ``baseline`` beside given ``results`` means no baseline
(it said "the bundled baseline", which is only used with the bundled example)."""

from __future__ import annotations

from netra_diag.investigation import suite_inputs
from netra_diag.report import find_notebook, notebook_parameters


def test_the_baseline_parameter_says_what_empty_means() -> None:
    declared = notebook_parameters(find_notebook("suite_triage"))
    assert "bundled" not in declared["baseline"]["help"]
    assert "empty: none" in declared["baseline"]["help"]
    assert suite_inputs("mine.xml", "") == (["mine.xml"], None)
    assert "shard folders" in declared["results"]["help"]
