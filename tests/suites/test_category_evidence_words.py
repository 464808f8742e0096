"""What counts as evidence of a §9 category: not a frame's line number, nor a setting's name, nor
a word that merely contains "sla".

A failing ``assert`` on line 504 of a test file once read as a gateway timeout (pytest's last
line, ``case_x.py:504: AssertionError``, matched ``504``): the failure was filed under
"timeout or infrastructure", and a run whose every failure was such exited 9, "retry before
debugging", even for a regression against a baseline. ``settings.timeout`` read as a timeout,
and "translation" or "trailing slash" as an SLA breach.
"""

from __future__ import annotations

from pathlib import Path

from suite_runs import run_case_module

from netra_diag.cli import main
from netra_diag.suites import Category, triage

# Line 504 holds the failing assert: the padding puts it there.
_LINE_504 = "\n" * 501 + "def test_sum():\n    total = sum([1, 2])\n    assert total == 4\n"
_WORDS = """
class Settings:
    timeout = 31


def test_setting():
    settings = Settings()
    assert settings.timeout == 30


def test_translation():
    assert False, "translation missing for key 'greeting'"


def test_slash():
    assert False, "expected no trailing slash in '/api/'"


def test_count():
    assert [0] * 502 == [0] * 503
"""
_REAL = """
def test_gateway():
    raise ConnectionError("server rejected WebSocket connection: HTTP 503")


def test_waited():
    raise TimeoutError("no agent_completed within 30.0 s")


def test_burst():
    assert False, "412 events/s < 500 events/s over a burst of 20 (SLA)"
"""


def _categories(src: Path, name: str, source: str) -> dict[str, Category]:
    xml = src / f"{name}.xml"
    run_case_module(src, name, source, f"--junitxml={xml}")
    report = triage([xml])
    return {
        test_id.rsplit("::", 1)[-1]: cluster.category
        for cluster in report.clusters
        for test_id in cluster.tests
    }


def test_a_frame_line_number_is_no_status_or_close_code(tmp_path: Path) -> None:
    xml = tmp_path / "line.xml"
    run_case_module(tmp_path, "line", _LINE_504, f"--junitxml={xml}")
    assert "case_line.py:504: AssertionError" in xml.read_text(encoding="utf-8")
    (cluster,) = triage([xml]).clusters
    assert cluster.category is Category.OTHER, cluster
    # Not "every failure is infrastructure" (9): a plain failure, 1.
    assert main(["triage", str(xml)]) == 1


def test_settings_counts_and_words_are_no_evidence(tmp_path: Path) -> None:
    found = _categories(tmp_path, "words", _WORDS)
    assert found == dict.fromkeys(
        ["test_setting", "test_translation", "test_slash", "test_count"], Category.OTHER
    ), found


def test_real_evidence_is_still_read(tmp_path: Path) -> None:
    found = _categories(tmp_path, "real", _REAL)
    assert found == {
        "test_gateway": Category.INFRASTRUCTURE,
        "test_waited": Category.INFRASTRUCTURE,
        "test_burst": Category.SLA,
    }, found
