"""Passes that prove little are named in words where a reader sees them, by their kind in JSON."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from netra_diag.suites import triage
from netra_diag.suites.vacuous import VACUOUS_LABELS, VacuousKind

DATA = Path(str(files("netra_diag") / "data" / "suites"))


def test_every_kind_has_words() -> None:
    assert set(VACUOUS_LABELS) == set(VacuousKind)


def test_text_and_markdown_say_the_words_json_keeps_the_kind() -> None:
    report = triage(DATA / "current.xml", baseline=DATA / "baseline.xml")
    assert report.vacuous
    for rendered in (report.to_text(), report.to_markdown()):
        assert "~0 ms pass: " in rendered and "zero_ms_network_pass" not in rendered
    kinds = {v["kind"] for v in report.to_dict()["vacuous"]}
    assert "zero_ms_network_pass" in kinds
